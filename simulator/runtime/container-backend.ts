/**
 * Brings a topology up in containers (testcontainers over the Docker API; podman here), one
 * network per run:
 * - the control plane, alias `control-plane`;
 * - each fixture instance, alias = its instance name (`hello-v1-0`), listening on the service's
 *   port; the ServiceEntry endpoints name these aliases. Node programs run from the runtime image,
 *   Java programs from the Java image; a protocol that deploys its own servers (redis-server, a
 *   Kafka broker) names the image of their part;
 * - per client with a sidecar, a pod: a container that owns the network namespace (alias = the
 *   client's name) and the sidecar proxy started inside that namespace (`container:<pod>`), its
 *   outbound listeners on fixed ports there — meshsim's proxy from the runtime image or Envoy from
 *   the Envoy image. The client driver runs in the simulator, on the
 *   host, so the pod publishes those listener ports on 127.0.0.1 and the driver dials them: the
 *   hop the process backend makes on loopback. A program in the pod (docker-compose.yml's
 *   client) dials the same listeners on the pod's own 127.0.0.1.
 * Everything carries the run's labels and is removed by label: by `down()`, or by the reaper
 * when the simulator dies first.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Wait, type StartedTestContainer } from "testcontainers";
import { MeshsimError } from "../../common/errors.ts";
import { listenerNames, serviceInstances, type InstanceAddress, type ServiceSpec, type TopologySpec } from "../topology/topology.ts";
import { readSidecarStats } from "./sidecar-stats.ts";
import { faultLinkKeys, type Backend, type RunningTopology, type SidecarInfo, type UpOptions } from "./backend.ts";
import { CLEAR_COMMANDS, explainFailure, faultCommands } from "./containers/network-faults.ts";
import { openEngine, RUN_LABEL } from "./containers/engine.ts";
import { ensureEnvoyImage, ensureImage, ensureJvmImage } from "./containers/images.ts";
import { waitForEnvoyLive } from "./containers/envoy-sidecar.ts";
import {
  refuseUnsupportedParts,
  controlPlanePart,
  CONTROL_PLANE_HTTP_PORT,
  envoySidecarPart,
  instancePart,
  meshsimSidecarPart,
  SIDECAR_ADMIN_PORT,
  sidecarListenerPorts,
  XDS_PORT,
  type PartCommand,
} from "./containers/parts.ts";
import { MeshsimContainer } from "./containers/meshsim-container.ts";
import { ControlPlaneClient } from "./control-plane-client.ts";
import { simulatorProtocol } from "../protocols/registry.ts";
import { topologyResources } from "./generated-resources.ts";
import { waitForPort } from "./wait-for-port.ts";

export const containerBackend: Backend = { name: "containers", up: upContainerTopology };

async function upContainerTopology(spec: TopologySpec, options: UpOptions = {}): Promise<RunningTopology> {
  unsupported(spec, options);
  const engine = await openEngine();
  const planned = spec.services.flatMap((service) => serviceInstances(service).map(({ version, instance }) => ({ service, version, instance, part: instancePart(service, version, instance) })));
  // The Java and Envoy images only when the topology has parts that run from them.
  const images: Partial<Record<PartCommand["image"], string>> = {
    runtime: (await ensureImage(engine)).name,
    ...(planned.some((p) => p.part.image === "jvm") && { jvm: (await ensureJvmImage(engine)).name }),
    ...(spec.clients.some((c) => c.sidecar && c.dataPlane === "envoy") && { envoy: (await ensureEnvoyImage(engine)).name }),
  };
  const runId = randomBytes(5).toString("hex");
  const labels = engine.labels(runId);
  const network = `meshsim-${runId}`;
  const parts = new Map<string, StartedTestContainer>();
  const container = (name: string, part: PartCommand) => {
    const c = new MeshsimContainer(images[part.image]!).withName(`meshsim-${runId}-${name}`).withLabels(labels).withCommand(part.command);
    if (part.entrypoint) c.withEntrypoint(part.entrypoint);
    if (part.environment) c.withEnvironment(part.environment);
    if (part.ready === "ports") c.withWaitStrategy(Wait.forListeningPorts()).withStartupTimeout(120_000);
    else if (part.ready) c.withWaitStrategy(Wait.forLogMessage(part.ready));
    if (part.readyTimeoutMs !== undefined) c.withStartupTimeout(part.readyTimeoutMs);
    return c;
  };
  const removeAll = async () => {
    if (options.logDir) await saveLogs(options.logDir).catch(() => undefined);
    await engine.api.removeLabelled(`${RUN_LABEL}=${runId}`);
  };
  const saveLogs = async (dir: string) => {
    mkdirSync(dir, { recursive: true });
    await Promise.all([...parts].map(async ([part, c]) => writeFileSync(join(dir, `${part}.log`), await engine.api.logs(c.getId(), 10_000))));
  };
  try {
    await engine.api.createNetwork(network, labels);
    const start = async (part: string, c: MeshsimContainer) => {
      const started = await c.start();
      parts.set(part, started);
      return started;
    };

    const cp = await start("control-plane", container("control-plane", controlPlanePart()).onNetwork(network, ["control-plane"]).withLoopbackPorts(XDS_PORT, CONTROL_PLANE_HTTP_PORT));
    const controlPlane = new ControlPlaneClient(`http://127.0.0.1:${cp.getMappedPort(CONTROL_PLANE_HTTP_PORT)}`);

    const faultKeys = new Set((options.faultLinks ?? []).flatMap(faultLinkKeys));
    const instances: Array<InstanceAddress & { advertisedPort: number }> = [];
    const endpoints: InstanceAddress[] = [];
    const starting: Array<Promise<void>> = [];
    const startInstance = (service: ServiceSpec, version: string, instance: string, part: PartCommand, ready?: (host: string, port: number) => Promise<void>) => {
      const c = container(instance, part).onNetwork(network, [instance]).withLoopbackPorts(service.port);
      if (faultKeys.has(`upstream:${instance}`)) c.withAddedCapabilities("NET_ADMIN");
      starting.push(
        start(instance, c).then(async (started) => {
          const port = started.getMappedPort(service.port);
          await ready?.("127.0.0.1", port);
          instances.push({ service: service.name, version, instance, host: "127.0.0.1", port, advertisedPort: port });
          endpoints.push({ service: service.name, version, instance, host: instance, port: service.port });
        }),
      );
    };
    for (const { service, version, instance, part } of planned) {
      // Some servers are up later than their ready signal says (a Kafka broker joins its quorum).
      const ready = simulatorProtocol(service.protocol).deployment?.containerReady;
      startInstance(service, version, instance, part, ready && ((host, port) => ready(instance, host, port)));
    }
    await Promise.all(starting);
    instances.sort((a, b) => a.instance.localeCompare(b.instance));
    endpoints.sort((a, b) => a.instance.localeCompare(b.instance));

    const generatedResources = topologyResources(spec, endpoints, options.ownDestinationRules);
    await controlPlane.apply(generatedResources);

    const sidecars = new Map<string, SidecarInfo>();
    await Promise.all(
      spec.clients
        .filter((client) => client.sidecar)
        .map(async (client) => {
          const listenerPorts = sidecarListenerPorts(spec.services.flatMap(listenerNames));
          const pod = await start(
            client.name,
            container(client.name, { image: "runtime", command: ["-e", `process.on("SIGTERM", () => process.exit(0)); console.log('{"ready":true}'); setInterval(() => {}, 3600e3);`] })
              .onNetwork(network, [client.name])
              .withLoopbackPorts(SIDECAR_ADMIN_PORT, ...listenerPorts.values()),
          );
          const dataPlane = client.dataPlane ?? "meshsim";
          // The driver reaches each listener through the pod's published port: Kafka listeners tell clients that one.
          const part =
            dataPlane === "envoy" ? envoySidecarPart(client.name, listenerPorts) : meshsimSidecarPart(client.name, listenerPorts, (port) => ({ host: "127.0.0.1", port: pod.getMappedPort(port) }));
          await start(`sidecar-${client.name}`, container(`sidecar-${client.name}`, part).withNetworkMode(`container:${pod.getId()}`));
          if (dataPlane === "envoy") await waitForEnvoyLive(client.name, pod.getMappedPort(SIDECAR_ADMIN_PORT));
          const nodeId = part.nodeId;
          // The client dials a service's first listener (a Kafka service's first broker).
          const outbound = new Map(spec.services.map((service) => [service.name, { host: "127.0.0.1", port: pod.getMappedPort(listenerPorts.get(listenerNames(service)[0]!)!) }]));
          sidecars.set(client.name, { client: client.name, dataPlane, nodeId, adminPort: pod.getMappedPort(SIDECAR_ADMIN_PORT), outbound });
        }),
    );

    const partId = (part: string) => {
      const c = parts.get(part);
      if (!c) throw new MeshsimError("INVALID_INPUT", `no part named ${part} (parts: ${[...parts.keys()].join(", ")})`);
      return c.getId();
    };
    const instanceOf = (name: string) => {
      const i = instances.find((x) => x.instance === name);
      if (!i) throw new MeshsimError("INVALID_INPUT", `no instance named ${name}`);
      return i;
    };
    const servicePort = (name: string) => spec.services.find((s) => s.name === instanceOf(name).service)!.port;

    return {
      backend: "containers",
      runLabel: `${RUN_LABEL}=${runId}`,
      controlPlane,
      controlPlaneXdsPort: cp.getMappedPort(XDS_PORT),
      instances,
      sidecars,
      generatedResources,
      addressFor(client, service) {
        const viaSidecar = sidecars.get(client)?.outbound.get(service);
        if (viaSidecar) return viaSidecar;
        const direct = instances.find((i) => i.service === service);
        if (!direct) throw new Error(`no instance of service ${service}`);
        return { host: direct.host, port: direct.port };
      },
      proxyIds: () => [...sidecars.values()].map((s) => s.nodeId),
      kill: (instance, signal) => (signal === "SIGKILL" ? engine.api.kill(partId(instance)) : engine.api.stop(partId(instance), 3)),
      async restart(instance) {
        await engine.api.restart(partId(instance), 3);
        // The engine may publish the port anew; the run's network keeps the alias.
        const published = (await engine.api.inspect(partId(instance))).NetworkSettings.Ports?.[`${servicePort(instance)}/tcp`]?.[0]?.HostPort;
        const entry = instanceOf(instance);
        if (published) entry.port = entry.advertisedPort = Number(published);
        await waitForPort(entry.host, entry.port, 30_000, instance);
      },
      pause: (instance) => engine.api.pause(partId(instance)),
      unpause: (instance) => engine.api.unpause(partId(instance)),
      async waitForInstance(instance, timeoutMs) {
        const entry = instanceOf(instance);
        await waitForPort(entry.host, entry.port, timeoutMs, instance);
      },
      async setNetworkFault(link, fault) {
        if (link.kind === "client") throw new MeshsimError("INVALID_INPUT", clientLinkUnsupported(link.client));
        for (const instance of link.instances) {
          if (!faultKeys.has(`upstream:${instance}`))
            throw new MeshsimError("INVALID_INPUT", `${instance} was started without NET_ADMIN; the scenario did not declare faults on that link before the run`);
          const c = parts.get(instance)!;
          for (const command of CLEAR_COMMANDS) await c.exec(command);
          for (const command of fault ? faultCommands(fault, servicePort(instance)) : []) {
            const r = await c.exec(command);
            if (r.exitCode !== 0) throw new MeshsimError("ENVIRONMENT", `in ${instance}: ${explainFailure(command, r.output)}`);
          }
        }
      },
      async readInstanceStats(instance) {
        const entry = instanceOf(instance);
        const service = spec.services.find((x) => x.name === entry.service)!;
        const ownStats = simulatorProtocol(service.protocol).deployment?.instanceStats;
        if (ownStats) return ownStats(service, entry);
        // The fixture serves its counts on its own loopback: read them from inside the container.
        const ready = (await engine.api.logs(partId(instance), 10_000)).split("\n").find((l) => l.startsWith('{"ready":true'));
        const statsPort = ready ? (JSON.parse(ready) as { statsPort?: number }).statsPort : undefined;
        if (typeof statsPort !== "number") throw new MeshsimError("ENVIRONMENT", `${instance} does not report its own counts (its fixture has no stats port)`);
        const r = await parts.get(instance)!.exec(["node", "-e", `fetch("http://127.0.0.1:${statsPort}/stats").then((r) => r.text()).then((t) => process.stdout.write(t))`]);
        if (r.exitCode !== 0) throw new MeshsimError("ENVIRONMENT", `cannot read ${instance}'s counts: ${r.output.trim()}`);
        return JSON.parse(r.stdout) as Record<string, number>;
      },
      logs: async (part) => engine.api.logs(partId(part), 40),
      async sidecarStats(client) {
        const sidecar = sidecars.get(client);
        if (!sidecar) throw new MeshsimError("INVALID_INPUT", `client ${client} has no sidecar to read metrics from`);
        return readSidecarStats(sidecar);
      },
      sidecarAccessLog: async () => ({ notApplicable: "sidecar access logs are not collected from containers yet (run with --backend processes)" }),
      down: removeAll,
    };
  } catch (err) {
    await removeAll();
    throw err;
  }
}

/** What the container backend does not run yet, refused before anything starts. */
function unsupported(spec: TopologySpec, options: UpOptions): void {
  refuseUnsupportedParts(spec);
  for (const link of options.faultLinks ?? []) {
    if (link.kind === "client") throw new MeshsimError("ENVIRONMENT", clientLinkUnsupported(link.client));
  }
}

function clientLinkUnsupported(client: string): string {
  return `faults between ${client} and its sidecar need the TCP fault proxy (in containers that hop is the host's published port); use --backend processes`;
}
