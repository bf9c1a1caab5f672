/**
 * What runs in each part's container — its image, entrypoint, arguments, environment and how it
 * says it is up — for the container backend (testcontainers) and `meshsim compose` alike, so a
 * part is described once. Ports inside containers are fixed: each part has its own address.
 */
import type { Bootstrap } from "../../../proxy/config/types.ts";
import { javaArgs, newClusterId, serverProperties } from "../../../fixtures/kafka/broker.ts";
import { MeshsimError } from "../../../common/errors.ts";
import { simulatorProtocol } from "../../protocols/registry.ts";
import { instanceName, kafkaBrokerInstance, type ServiceSpec, type TopologySpec } from "../../topology/topology.ts";
import { envoyArgs } from "../envoy/args.ts";
import { PROXY_NODE_FLAGS } from "../node-command.ts";
import { envoyBootstrap, type EnvoyBootstrapOptions } from "../envoy/bootstrap.ts";
import { instanceProgram, javaProgramArgs } from "../fixture-commands.ts";
import { ENVOY_IN_IMAGE, entryInImage, KAFKA_IN_JVM_IMAGE } from "./images.ts";

export const XDS_PORT = 15010;
export const CONTROL_PLANE_HTTP_PORT = 15011;
export const SIDECAR_ADMIN_PORT = 15000;
export const FIRST_LISTENER_PORT = 15001;
/** A Kafka broker's controller listener stays inside its own namespace (a single-node quorum). */
const KAFKA_CONTROLLER_PORT = 19093;

/** What no container runs yet, refused before anything starts. */
export function refuseUnsupportedParts(spec: TopologySpec): void {
  for (const s of spec.services) {
    if (simulatorProtocol(s.protocol).codecModule)
      throw new MeshsimError("ENVIRONMENT", `service ${s.name}: ${s.protocol} needs a codec the sidecar image does not carry (${simulatorProtocol(s.protocol).codecModule}); use --backend processes`);
    if (s.protocol === "kafka" && (s.kafka?.brokers ?? 1) > 1)
      throw new MeshsimError(
        "ENVIRONMENT",
        `service ${s.name}: Kafka services of ${s.kafka?.brokers} brokers do not run in containers yet (one broker does: its ServiceEntry names one host for every broker, and each broker has a container and an alias of its own); use --backend processes`,
      );
    if (s.protocol === "redis" && (s.redis?.mode ?? "single") !== "single")
      throw new MeshsimError("ENVIRONMENT", `service ${s.name}: Redis ${s.redis?.mode} deployments do not run in containers yet (single does); use --backend processes`);
  }
  if (spec.rateLimitService) throw new MeshsimError("ENVIRONMENT", `rateLimitService ${spec.rateLimitService.name}: the rate-limit service does not run in containers yet; use --backend processes`);
}

export interface PartCommand {
  image: "runtime" | "jvm" | "envoy";
  /** Absent: the image's own (node for the runtime image, java for the Java image). */
  entrypoint?: string[];
  command: string[];
  environment?: Record<string, string>;
  /**
   * How the part says it is up: a line in its log, or `ports` — it listens (the Kafka broker,
   * whose jars bring no logging binding). Absent: meshsim's ready line.
   */
  ready?: RegExp | "ports";
  /** How long it may take to be up (default testcontainers' 60 s). */
  readyTimeoutMs?: number;
}

export function controlPlanePart(resourceFiles: readonly string[] = []): PartCommand {
  return { image: "runtime", command: [entryInImage("control-plane/main.ts"), "--xds-port", String(XDS_PORT), "--http-port", String(CONTROL_PLANE_HTTP_PORT), ...resourceFiles] };
}

/** The instances a service has in containers: one per replica of each version, or a Kafka service's one broker. */
export function containerInstances(service: ServiceSpec): Array<{ version: string; instance: string }> {
  if (service.protocol === "kafka") return [{ version: Object.keys(service.versions)[0] ?? "v1", instance: kafkaBrokerInstance(service.name, 1) }];
  return Object.entries(service.versions).flatMap(([version, { replicas }]) => Array.from({ length: replicas }, (_, i) => ({ version, instance: instanceName(service.name, version, i) })));
}

/** One instance of `service`, listening on the service's port: the program its plug-in names, redis-server or a Kafka broker. */
export function instancePart(service: ServiceSpec, version: string, instance: string): PartCommand {
  if (service.protocol === "kafka") return kafkaBrokerPart(service, instance);
  if (service.protocol === "redis") {
    const password = service.redis?.password;
    return {
      image: "runtime",
      entrypoint: ["redis-server"],
      command: ["--port", String(service.port), "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", ...(password !== undefined ? ["--requirepass", password] : [])],
      ready: /Ready to accept connections/,
    };
  }
  const program = instanceProgram(service, version, instance, service.port);
  if (program.runtime === "node") return { image: "runtime", command: [entryInImage(program.script), ...program.args] };
  return { image: "jvm", command: javaProgramArgs(program, program.jar.inImage), readyTimeoutMs: program.readyTimeoutMs };
}

/**
 * A Kafka service's one broker (KRaft, broker + controller), alias `instance`: it listens on the
 * service's port on every address and advertises `<instance>:<port>` — the address the generated
 * ServiceEntry names — so the sidecar's broker address rewrite recognises what its Metadata
 * answers say.
 */
function kafkaBrokerPart(service: ServiceSpec, instance: string): PartCommand {
  const controllerPort = service.port === KAFKA_CONTROLLER_PORT ? KAFKA_CONTROLLER_PORT + 1 : KAFKA_CONTROLLER_PORT;
  const node = { nodeId: 1, host: instance, port: service.port, controllerPort, pid: undefined };
  return {
    image: "jvm",
    entrypoint: ["sh", KAFKA_IN_JVM_IMAGE.start],
    command: javaArgs("256m", KAFKA_IN_JVM_IMAGE),
    environment: { KAFKA_PROPERTIES: serverProperties(node, `1@127.0.0.1:${controllerPort}`, "/var/lib/kafka", 1, {}, "0.0.0.0"), KAFKA_CLUSTER_ID: newClusterId() },
    ready: "ports",
  };
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
