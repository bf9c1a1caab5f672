import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bootstrap } from "../../proxy/config/types.ts";
import { instanceName, listenerNames, type InstanceAddress, type ServiceSpec, type TopologySpec } from "../topology/topology.ts";
import { allocatePort } from "../../common/ports.ts";
import { ControlPlaneClient } from "./control-plane-client.ts";
import { instanceProgram, processCommand } from "./fixture-commands.ts";
import { startRateLimitService, type RunningRateLimitService } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { nodeScript, projectPath } from "./node-command.ts";
import { simulatorProtocol } from "../protocols/registry.ts";
import type { ProcessDeployment } from "../protocols/deployment.ts";
import { ProcessSupervisor, type SpawnSpec } from "./process-supervisor.ts";
import { MeshsimError } from "../../common/errors.ts";
import { startFaultProxy, type FaultProxy } from "../faults/tcp-fault-proxy.ts";
import { envoySidecarSpawn } from "./envoy/sidecar.ts";
import { readSidecarStats } from "./sidecar-stats.ts";
import { ACCESS_LOG_SUFFIX, OTLP_ENDPOINT_ENV, readSidecarAccessLog, TRACES_SUFFIX } from "./sidecar-access-log.ts";
import type { SpanExport } from "../../proxy/tracing/tracing-config.ts";
import { topologyResources } from "./generated-resources.ts";
import { waitForPort } from "./wait-for-port.ts";
import { faultLinkKeys, type Backend, type RunningTopology, type SidecarInfo, type UpOptions } from "./backend.ts";

/**
 * Brings a topology up as local processes on 127.0.0.1: the control plane, every fixture
 * instance, and one sidecar proxy per client that asks for one. The client-side sidecar is where
 * routing happens (as in Aeraki, outbound); the server side needs no proxy for that.
 * On any failure everything already started is stopped before the error propagates.
 */
export const processBackend: Backend = { name: "processes", up: upProcessTopology };

async function upProcessTopology(spec: TopologySpec, options: UpOptions = {}): Promise<RunningTopology> {
  const supervisor = new ProcessSupervisor(options.logDir);
  const faultProxies = new Map<string, FaultProxy>();
  // Services whose protocol starts its own servers (redis-server, Kafka brokers), by service name.
  const deployments = new Map<string, ProcessDeployment>();
  let rateLimitService: RunningRateLimitService | undefined;
  const stopFixtures = () => Promise.all([...[...deployments.values()].map((d) => d.stop()), rateLimitService?.close()]);
  // Sidecar access logs go beside the other logs; a run that keeps no logs reads them from a temporary directory.
  const accessLogDir = options.logDir ?? (await mkdtemp(join(tmpdir(), "meshsim-access-logs-")));
  try {
    const cp = await supervisor.start({ name: "control-plane", ...nodeScript("control-plane/main.ts", ["--xds-port", "0", "--http-port", "0"]) });
    const xdsPort = Number(cp.ready.xdsPort);
    const controlPlane = new ControlPlaneClient(`http://127.0.0.1:${Number(cp.ready.httpPort)}`);

    const faultKeys = new Set((options.faultLinks ?? []).flatMap(faultLinkKeys));
    const instances: Array<InstanceAddress & { advertisedPort: number }> = [];
    const restartSpecs = new Map<string, () => SpawnSpec>();
    const starting: Promise<void>[] = [];
    // Envoy's rate-limit service and its redis-server, stopped by PID by the fixture.
    if (spec.rateLimitService) starting.push(startRateLimitService({ config: spec.rateLimitService.config }).then((s) => void (rateLimitService = s)));
    for (const service of spec.services) {
      const startProcesses = simulatorProtocol(service.protocol).deployment?.startProcesses;
      if (startProcesses) {
        starting.push(
          startProcesses(service, { ...(options.logDir !== undefined && { logDir: options.logDir }) }).then(async (d) => {
            deployments.set(service.name, d);
            for (const i of d.instances) {
              let advertisedPort = i.port;
              if (faultKeys.has(`upstream:${i.instance}`)) {
                const refusal = d.faultProxyRefusal?.(i.instance);
                if (refusal) throw new MeshsimError("INVALID_INPUT", refusal);
                const proxy = await startFaultProxy({ host: i.host, port: i.port });
                faultProxies.set(`upstream:${i.instance}`, proxy);
                advertisedPort = proxy.port;
              }
              instances.push({ service: service.name, version: i.version, instance: i.instance, host: i.host, port: i.port, advertisedPort });
            }
          }),
        );
        continue;
      }
      for (const [version, { replicas }] of Object.entries(service.versions)) {
        for (let i = 0; i < replicas; i++) {
          const instance = instanceName(service.name, version, i);
          starting.push(
            supervisor.start({ name: instance, ...processCommand(instanceProgram(service, version, instance, 0)) }).then(async (p) => {
              const port = Number(p.ready.port);
              restartSpecs.set(instance, () => ({ name: instance, ...processCommand(instanceProgram(service, version, instance, port)) }));
              let advertisedPort = port;
              if (faultKeys.has(`upstream:${instance}`)) {
                const proxy = await startFaultProxy({ host: "127.0.0.1", port });
                faultProxies.set(`upstream:${instance}`, proxy);
                advertisedPort = proxy.port;
              }
              instances.push({ service: service.name, version, instance, host: "127.0.0.1", port, advertisedPort });
            }),
          );
        }
      }
    }
    // Every starter settles before a failure propagates, so the clean-up below sees everything
    // that did start (a broker still booting when another part failed would otherwise be missed).
    const failed = (await Promise.allSettled(starting)).find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    instances.sort((a, b) => a.instance.localeCompare(b.instance));

    const generatedResources = topologyResources(
      spec,
      instances.map((i) => ({ ...i, port: i.advertisedPort })),
      options.ownDestinationRules,
      rateLimitService && { host: "127.0.0.1", port: rateLimitService.grpcPort },
      !options.ownTelemetry,
    );
    await controlPlane.apply(generatedResources);

    const sidecars = new Map<string, SidecarInfo>();
    for (const client of spec.clients) {
      if (!client.sidecar) continue;
      const nodeId = `sidecar~127.0.0.1~${client.name}.default~default.svc.cluster.local`;
      const redirects: Bootstrap["redirects"] = {};
      const outbound = new Map<string, { host: string; port: number }>();
      for (const service of spec.services) {
        // One listener per service, or more when its protocol asks (one per Kafka broker); the client dials the first.
        for (const name of listenerNames(service)) {
          const address = { host: "127.0.0.1", port: await allocatePort() };
          redirects[name] = address;
          if (!outbound.has(service.name)) outbound.set(service.name, address);
        }
      }
      const dataPlane = client.dataPlane ?? "meshsim";
      const name = `sidecar-${client.name}`;
      const accessLogPath = dataPlane === "meshsim" ? join(accessLogDir, `${name}${ACCESS_LOG_SUFFIX}`) : undefined;
      const codecFlags = codecModuleFlags(spec.services);
      const p = await supervisor.start(
        dataPlane === "envoy"
          ? envoySidecarSpawn(name, {
              nodeId,
              cluster: client.name,
              xdsAddress: { host: "127.0.0.1", port: xdsPort },
              listenerPorts: Object.fromEntries(Object.entries(redirects).map(([listener, a]) => [listener, a.port])),
              metadata: { CLIENT: client.name },
            })
          : {
              name,
              ...nodeScript(
                "proxy/main.ts",
                [
                  "--bootstrap-json",
                  JSON.stringify({ ...meshsimBootstrap(nodeId, client.name, xdsPort, redirects), accessLogStdoutPath: accessLogPath, tracing: spanExport(accessLogDir, name) }),
                  ...codecFlags,
                ],
                { fromSources: codecFlags.length > 0 },
              ),
            },
      );
      if (faultKeys.has(`client:${client.name}`)) {
        // The client dials the fault proxy, which forwards to the sidecar's listener.
        for (const [service, address] of outbound) {
          const proxy = await startFaultProxy(address);
          faultProxies.set(`client:${client.name}`, proxy);
          outbound.set(service, { host: "127.0.0.1", port: proxy.port });
        }
      }
      sidecars.set(client.name, { client: client.name, nodeId, dataPlane, adminPort: Number(p.ready.adminPort), outbound, ...(accessLogPath !== undefined && { accessLogPath }) });
    }

    /** The deployment of its protocol that started `instance`, if one did. */
    const deploymentOf = (instance: string): ProcessDeployment | undefined => {
      const address = instances.find((i) => i.instance === instance);
      return address && deployments.get(address.service);
    };
    const pid = (instance: string) => {
      const p = supervisor.get(instance);
      if (!p) throw new MeshsimError("INVALID_INPUT", `no running instance named ${instance}`);
      return p.child;
    };
    return {
      backend: "processes",
      controlPlane,
      controlPlaneXdsPort: xdsPort,
      instances,
      sidecars,
      generatedResources,
      addressFor(client, service) {
        const sidecar = sidecars.get(client);
        const viaSidecar = sidecar?.outbound.get(service);
        if (viaSidecar) return viaSidecar;
        const direct = instances.find((i) => i.service === service);
        if (!direct) throw new Error(`no instance of service ${service}`);
        return { host: direct.host, port: direct.advertisedPort };
      },
      proxyIds: () => [...sidecars.values()].map((s) => s.nodeId),
      async setNetworkFault(link, fault) {
        for (const key of faultLinkKeys(link)) {
          const proxy = faultProxies.get(key);
          if (!proxy) throw new MeshsimError("INVALID_INPUT", `no fault proxy on ${key}; the scenario did not declare faults on that link before the run`);
          proxy.setFault(fault);
        }
      },
      async kill(instance, signal) {
        const kill = deploymentOf(instance)?.kill;
        if (kill) return kill(instance, signal);
        return supervisor.stop(instance, signal);
      },
      async restart(instance) {
        const restart = deploymentOf(instance)?.restart;
        if (restart) return restart(instance);
        const restartSpec = restartSpecs.get(instance);
        if (!restartSpec) throw new MeshsimError("INVALID_INPUT", `no instance named ${instance}`);
        await supervisor.restart(restartSpec());
      },
      async readInstanceStats(instance) {
        const address = instances.find((i) => i.instance === instance);
        if (!address) throw new MeshsimError("INVALID_INPUT", `no instance named ${instance}`);
        const service = spec.services.find((s) => s.name === address.service);
        const ownStats = service && simulatorProtocol(service.protocol).deployment?.instanceStats;
        if (service && ownStats) return ownStats(service, address);
        const statsPort = supervisor.get(instance)?.ready.statsPort;
        if (typeof statsPort !== "number") throw new MeshsimError("ENVIRONMENT", `${instance} does not report its own counts (not running, or its fixture has no stats port)`);
        const res = await fetch(`http://127.0.0.1:${statsPort}/stats`);
        return (await res.json()) as Record<string, number>;
      },
      // SIGSTOP freezes the process; the kernel still accepts connections into its backlog.
      pause: async (instance) => void pid(instance).kill("SIGSTOP"),
      unpause: async (instance) => void pid(instance).kill("SIGCONT"),
      async logs(part) {
        const p = supervisor.get(part);
        if (!p) throw new MeshsimError("INVALID_INPUT", `no running part named ${part}`);
        return p.tail();
      },
      async sidecarStats(client) {
        const sidecar = sidecars.get(client);
        if (!sidecar) throw new MeshsimError("INVALID_INPUT", `client ${client} has no sidecar to read metrics from`);
        return readSidecarStats(sidecar);
      },
      async sidecarAccessLog(client) {
        const sidecar = sidecars.get(client);
        if (!sidecar) throw new MeshsimError("INVALID_INPUT", `client ${client} has no sidecar to read an access log from`);
        return readSidecarAccessLog(sidecar);
      },
      async waitForInstance(instance, timeoutMs) {
        const address = instances.find((i) => i.instance === instance);
        if (!address) throw new MeshsimError("INVALID_INPUT", `no instance named ${instance}`);
        await waitForPort(address.host, address.port, timeoutMs, instance);
      },
      down: async () => {
        await Promise.all([...faultProxies.values()].map((p) => p.close()));
        await supervisor.stopAll();
        await stopFixtures();
        if (options.logDir === undefined) await rm(accessLogDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all([...faultProxies.values()].map((p) => p.close()));
    await supervisor.stopAll();
    await stopFixtures();
    if (options.logDir === undefined) await rm(accessLogDir, { recursive: true, force: true });
    throw err;
  }
}

function meshsimBootstrap(nodeId: string, client: string, xdsPort: number, redirects: Bootstrap["redirects"]): Bootstrap {
  return {
    // Istio's node metadata names the workload the sidecar serves (the source of request metrics).
    node: { id: nodeId, cluster: client, metadata: { CLIENT: client, WORKLOAD_NAME: client, NAMESPACE: "default" } },
    xds: { address: `127.0.0.1:${xdsPort}` },
    admin: { host: "127.0.0.1", port: 0 },
    redirects,
  };
}

/** The sidecar's spans: a file beside its access log, and a collector when MESHSIM_OTLP_ENDPOINT names one. */
function spanExport(dir: string, sidecar: string): SpanExport {
  const endpoint = process.env[OTLP_ENDPOINT_ENV];
  return { otlpFile: join(dir, `${sidecar}${TRACES_SUFFIX}`), serviceName: sidecar, ...(endpoint ? { otlpHttpEndpoint: endpoint } : {}) };
}

export function defaultLogDir(outDir: string): string {
  return join(outDir, "logs");
}

/** `--codec <protocol>=<module>` for each protocol in the topology whose codec is not built into the proxy. */
function codecModuleFlags(services: readonly ServiceSpec[]): string[] {
  const modules = new Map<string, string>();
  for (const s of services) {
    const module = simulatorProtocol(s.protocol).codecModule;
    if (module) modules.set(s.protocol, projectPath(module));
  }
  return modules.size === 0 ? [] : ["--codec", [...modules].map(([name, path]) => `${name}=${path}`).join(",")];
}
