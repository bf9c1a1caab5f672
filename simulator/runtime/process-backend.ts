import { join } from "node:path";
import type { Bootstrap } from "../../proxy/config/types.ts";
import {
  destinationRuleFor,
  instanceName,
  listenerName,
  serviceEntryFor,
  serviceHost,
  type InstanceAddress,
  type TopologySpec,
} from "../topology/topology.ts";
import { allocatePort } from "../topology/ports.ts";
import { ControlPlaneClient } from "./control-plane-client.ts";
import { fixtureCommand } from "./fixture-commands.ts";
import { nodeScript } from "./node-command.ts";
import { ProcessSupervisor } from "./process-supervisor.ts";

export interface SidecarInfo {
  client: string;
  nodeId: string;
  adminPort: number;
  /** Service name → the local address the client dials (the sidecar's listener). */
  outbound: Map<string, { host: string; port: number }>;
}

export interface RunningTopology {
  controlPlane: ControlPlaneClient;
  controlPlaneXdsPort: number;
  instances: InstanceAddress[];
  sidecars: Map<string, SidecarInfo>;
  /** Resources that describe the topology (ServiceEntry, default DestinationRules). */
  generatedResources: Array<Record<string, unknown>>;
  /** Where `client` sends traffic for `service`: its sidecar if it has one, else the first instance. */
  addressFor(client: string, service: string): { host: string; port: number };
  proxyIds(): string[];
  supervisor: ProcessSupervisor;
  down(): Promise<void>;
}

export interface UpOptions {
  logDir?: string;
  /** Hosts for which the scenario brings its own DestinationRule. */
  ownDestinationRules?: ReadonlySet<string>;
}

/**
 * Brings a topology up as local processes on 127.0.0.1: the control plane, every fixture
 * instance, and one sidecar proxy per client that asks for one. The client-side sidecar is where
 * routing happens (as in Aeraki, outbound); the server side needs no proxy for that.
 * On any failure everything already started is stopped before the error propagates.
 */
export async function upProcessTopology(spec: TopologySpec, options: UpOptions = {}): Promise<RunningTopology> {
  const supervisor = new ProcessSupervisor(options.logDir);
  try {
    const cp = await supervisor.start({ name: "control-plane", ...nodeScript("control-plane/main.ts", ["--xds-port", "0", "--http-port", "0"]) });
    const xdsPort = Number(cp.ready.xdsPort);
    const controlPlane = new ControlPlaneClient(`http://127.0.0.1:${Number(cp.ready.httpPort)}`);

    const instances: InstanceAddress[] = [];
    const starting: Promise<void>[] = [];
    for (const service of spec.services) {
      for (const [version, { replicas }] of Object.entries(service.versions)) {
        for (let i = 0; i < replicas; i++) {
          const instance = instanceName(service.name, version, i);
          starting.push(
            supervisor.start({ name: instance, ...fixtureCommand(service, version, instance) }).then((p) => {
              instances.push({ service: service.name, version, instance, host: "127.0.0.1", port: Number(p.ready.port) });
            }),
          );
        }
      }
    }
    await Promise.all(starting);
    instances.sort((a, b) => a.instance.localeCompare(b.instance));

    const generatedResources: Array<Record<string, unknown>> = [];
    for (const service of spec.services) {
      generatedResources.push(serviceEntryFor(service, instances));
      if (!options.ownDestinationRules?.has(serviceHost(service))) generatedResources.push(destinationRuleFor(service));
    }
    await controlPlane.apply(generatedResources);

    const sidecars = new Map<string, SidecarInfo>();
    for (const client of spec.clients) {
      if (!client.sidecar) continue;
      const nodeId = `sidecar~127.0.0.1~${client.name}.default~default.svc.cluster.local`;
      const redirects: Bootstrap["redirects"] = {};
      const outbound = new Map<string, { host: string; port: number }>();
      for (const service of spec.services) {
        const address = { host: "127.0.0.1", port: await allocatePort() };
        redirects[listenerName(service)] = address;
        outbound.set(service.name, address);
      }
      const bootstrap: Bootstrap = {
        node: { id: nodeId, cluster: client.name, metadata: { CLIENT: client.name } },
        xds: { address: `127.0.0.1:${xdsPort}` },
        admin: { host: "127.0.0.1", port: 0 },
        redirects,
      };
      const p = await supervisor.start({
        name: `sidecar-${client.name}`,
        ...nodeScript("proxy/main.ts", ["--bootstrap-json", JSON.stringify(bootstrap)]),
      });
      sidecars.set(client.name, { client: client.name, nodeId, adminPort: Number(p.ready.adminPort), outbound });
    }

    return {
      controlPlane,
      controlPlaneXdsPort: xdsPort,
      instances,
      sidecars,
      generatedResources,
      supervisor,
      addressFor(client, service) {
        const sidecar = sidecars.get(client);
        const viaSidecar = sidecar?.outbound.get(service);
        if (viaSidecar) return viaSidecar;
        const direct = instances.find((i) => i.service === service);
        if (!direct) throw new Error(`no instance of service ${service}`);
        return { host: direct.host, port: direct.port };
      },
      proxyIds: () => [...sidecars.values()].map((s) => s.nodeId),
      down: () => supervisor.stopAll(),
    };
  } catch (err) {
    await supervisor.stopAll();
    throw err;
  }
}

export function defaultLogDir(outDir: string): string {
  return join(outDir, "logs");
}
