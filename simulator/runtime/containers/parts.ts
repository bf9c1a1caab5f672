/**
 * What runs in each part's container — its image, entrypoint, arguments, environment and how it
 * says it is up — for the container backend (testcontainers) and `meshsim compose` alike, so a
 * part is described once. Ports inside containers are fixed: each part has its own address.
 */
import type { Bootstrap } from "../../../proxy/config/types.ts";
import { MeshsimError } from "../../../common/errors.ts";
import { simulatorProtocol } from "../../protocols/registry.ts";
import type { PartCommand } from "../../protocols/deployment.ts";
import type { ServiceSpec, TopologySpec } from "../../topology/topology.ts";
import { envoyArgs } from "../envoy/args.ts";
import { PROXY_NODE_FLAGS } from "../node-command.ts";
import { envoyBootstrap, type EnvoyBootstrapOptions } from "../envoy/bootstrap.ts";
import { instanceProgram, javaProgramArgs } from "../fixture-commands.ts";
import { ENVOY_IN_IMAGE, entryInImage } from "./images.ts";

export type { PartCommand };

export const XDS_PORT = 15010;
export const CONTROL_PLANE_HTTP_PORT = 15011;
export const SIDECAR_ADMIN_PORT = 15000;
export const FIRST_LISTENER_PORT = 15001;

/** What no container runs yet, refused before anything starts. */
export function refuseUnsupportedParts(spec: TopologySpec): void {
  for (const s of spec.services) {
    if (simulatorProtocol(s.protocol).codecModule)
      throw new MeshsimError("ENVIRONMENT", `service ${s.name}: ${s.protocol} needs a codec the sidecar image does not carry (${simulatorProtocol(s.protocol).codecModule}); use --backend processes`);
    const refusal = simulatorProtocol(s.protocol).deployment?.containerRefusal?.(s);
    if (refusal) throw new MeshsimError("ENVIRONMENT", refusal);
  }
  if (spec.rateLimitService) throw new MeshsimError("ENVIRONMENT", `rateLimitService ${spec.rateLimitService.name}: the rate-limit service does not run in containers yet; use --backend processes`);
}

export function controlPlanePart(resourceFiles: readonly string[] = []): PartCommand {
  return { image: "runtime", command: [entryInImage("control-plane/main.ts"), "--xds-port", String(XDS_PORT), "--http-port", String(CONTROL_PLANE_HTTP_PORT), ...resourceFiles] };
}

/** One instance of `service`, listening on the service's port: its protocol deployment's part, or the program its plug-in names. */
export function instancePart(service: ServiceSpec, version: string, instance: string): PartCommand {
  const own = simulatorProtocol(service.protocol).deployment?.containerPart;
  if (own) return own(service, version, instance);
  const program = instanceProgram(service, version, instance, service.port);
  if (program.runtime === "node") return { image: "runtime", command: [entryInImage(program.script), ...program.args] };
  return { image: "jvm", command: javaProgramArgs(program, program.jar.inImage), readyTimeoutMs: program.readyTimeoutMs };
}

/** The listeners a sidecar binds, one per service (per Kafka broker) in order, on fixed ports from FIRST_LISTENER_PORT. */
export function sidecarListenerPorts(listenerNames: readonly string[]): Map<string, number> {
  return new Map(listenerNames.map((name, i) => [name, FIRST_LISTENER_PORT + i]));
}

/**
 * meshsim's proxy as `client`'s sidecar: listeners on every address of its namespace, each
 * telling Kafka clients `advertise(port)` — where they reach that listener from outside.
 */
export function meshsimSidecarPart(client: string, listenerPorts: ReadonlyMap<string, number>, advertise: (port: number) => { host: string; port: number }): PartCommand & { nodeId: string } {
  const nodeId = sidecarNodeId(client);
  const redirects: NonNullable<Bootstrap["redirects"]> = {};
  for (const [name, port] of listenerPorts) redirects[name] = { host: "0.0.0.0", port, advertise: advertise(port) };
  const bootstrap: Bootstrap = {
    node: { id: nodeId, cluster: client, metadata: { CLIENT: client } },
    xds: { address: `control-plane:${XDS_PORT}` },
    admin: { host: "0.0.0.0", port: SIDECAR_ADMIN_PORT },
    redirects,
  };
  return { nodeId, image: "runtime", command: [...PROXY_NODE_FLAGS, entryInImage("proxy/main.ts"), "--bootstrap-json", JSON.stringify(bootstrap)] };
}

/** Envoy as `client`'s sidecar: ADS to the control plane's alias, listeners and admin on every address of its namespace. */
export function envoySidecarPart(client: string, listenerPorts: ReadonlyMap<string, number>): PartCommand & { nodeId: string } {
  const nodeId = sidecarNodeId(client);
  const bootstrap: EnvoyBootstrapOptions = {
    nodeId,
    cluster: client,
    xdsAddress: { host: "control-plane", port: XDS_PORT },
    listenerPorts: Object.fromEntries(listenerPorts),
    metadata: { CLIENT: client },
    adminPort: SIDECAR_ADMIN_PORT,
    bindHost: "0.0.0.0",
  };
  return {
    nodeId,
    image: "envoy",
    entrypoint: [ENVOY_IN_IMAGE],
    // MESHSIM_ENVOY_LOG_LEVEL=debug puts Envoy's debug log in the sidecar's log, as in process mode;
    // the main component's info line says when Envoy serves.
    command: [...envoyArgs({ bootstrap: JSON.stringify(envoyBootstrap(bootstrap)), concurrency: "1", logLevel: process.env.MESHSIM_ENVOY_LOG_LEVEL ?? "warn" }), "--component-log-level", "main:info"],
    ready: /starting main dispatch loop/,
  };
}

function sidecarNodeId(client: string): string {
  return `sidecar~${client}~${client}.default~default.svc.cluster.local`;
}
