/**
 * Protocols are plug-ins: each registered one has its file here and a place in the scenario
 * schema, and LPX — the example codec, known to the proxy only through `--codec` — runs a
 * scenario end to end, which fails on the expectations its routes guard when they are missing.
 * A protocol that deploys its own servers (as Redis and Kafka do) does it through its
 * `deployment` hooks: a test-only one here is started, addressed, described to the control
 * plane, killed and stopped by the process backend, which knows no protocol by name.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScenario } from "../runner.ts";
import { loadScenario } from "../scenario/loader.ts";
import { SCENARIO_SCHEMA } from "../scenario/schema/index.ts";
import { projectPath } from "../runtime/node-command.ts";
import { processBackend } from "../runtime/process-backend.ts";
import { generatedServiceEntry, listenerNames, serviceEntryFor, serviceHost, serviceInstances, type ServiceSpec } from "../topology/topology.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "./registry.ts";
import type { ProcessDeployment } from "./deployment.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";
import type { RunSummary } from "../report/summary.ts";

// The registry as shipped, plus the test-only protocol once a test sets it.
const extra = vi.hoisted(() => ({ protocol: undefined as SimulatorProtocol | undefined }));
vi.mock("./registry.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./registry.ts")>();
  const find = (name: string) => (name === extra.protocol?.name ? extra.protocol : actual.findSimulatorProtocol(name));
  return { ...actual, findSimulatorProtocol: find, simulatorProtocol: (name: string) => find(name) ?? actual.simulatorProtocol(name) };
});

const SCENARIO = "scenarios/example/lpx-routing.yaml";

function failures(summary: RunSummary): string[] {
  return summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.name}`));
}

describe("simulator protocol plug-ins", () => {
  it("every registered protocol is one file in simulator/protocols/, named after it, and the schema accepts it", () => {
    const schemaText = JSON.stringify(SCENARIO_SCHEMA);
    for (const name of PROTOCOL_NAMES) {
      expect(existsSync(projectPath(`simulator/protocols/${name}.ts`)), name).toBe(true);
      expect(simulatorProtocol(name).name).toBe(name);
      expect(simulatorProtocol(name).driver.protocol).toBe(name);
    }
    expect(schemaText).toContain(JSON.stringify({ enum: [...PROTOCOL_NAMES] }));
    expect(() => simulatorProtocol("smtp")).toThrow(/unknown protocol "smtp" \(known: thrift, dubbo, redis, kafka, lpx\)/);
  });

  it("LPX, a codec-only protocol, routes by header and splits 30/70 through the sidecar", async () => {
    const summary = await runScenario(SCENARIO, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary)).toEqual([]);
    expect(summary.passed).toBe(true);
  });

  it("without its header route, the canary step fails on its distribution and on what v2 received", async () => {
    const scenario = await loadScenario(SCENARIO);
    const router = scenario.steps[0]!.apply[0]!.object as { spec: { routes: Array<{ name: string }> } };
    router.spec.routes = router.spec.routes.filter((r) => r.name !== "canary-tenant");
    const summary = await runScenario(scenario, { noReports: true, failFast: false });
    expect(summary.error).toBeUndefined();
    const failed = failures(summary);
    expect(
      failed.some((f) => /^canary tenant goes to v2: distribution/.test(f)),
      failed.join(" | "),
    ).toBe(true);
    expect(
      failed.some((f) => /^canary tenant goes to v2: metric .*received\.lookup/.test(f)),
      failed.join(" | "),
    ).toBe(true);
    expect(failed.filter((f) => !f.startsWith("canary tenant goes to v2: "))).toEqual([]);
  });

  describe("a protocol with a deployment of its own", () => {
    afterEach(() => {
      extra.protocol = undefined;
    });

    /**
     * "probe": each version is one TCP server in this process, named `<service>-<version>-node`,
     * which counts its connections; every hook records that it was used.
     */
    function probeProtocol() {
      const used: string[] = [];
      const servers = new Map<string, Server>();
      const connections = new Map<string, number>();
      const listen = (instance: string, port = 0) =>
        new Promise<number>((resolve, reject) => {
          const server = createServer((socket) => {
            connections.set(instance, (connections.get(instance) ?? 0) + 1);
            socket.end();
          });
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
          servers.set(instance, server);
        });
      const close = async (instance: string) => {
        const server = servers.get(instance);
        servers.delete(instance);
        if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      };
      const protocol: SimulatorProtocol = {
        name: "probe",
        driver: {
          protocol: "probe",
          connect: () => Promise.reject(new Error("the probe protocol has no client")),
        },
        deployment: {
          instances: (service) => Object.keys(service.versions).map((version) => ({ version, instance: `${service.name}-${version}-node` })),
          listeners: (service) => [`${serviceHost(service)}_${service.port}`, `${serviceHost(service)}_${service.port + 1}`],
          serviceEntry: (service, instances) =>
            generatedServiceEntry(
              service,
              [{ number: service.port, name: "tcp-probe" }],
              instances.filter((i) => i.service === service.name).map((i) => ({ address: i.host, ports: { "tcp-probe": i.port }, labels: { app: service.name, version: i.version } })),
            ),
          async startProcesses(service): Promise<ProcessDeployment> {
            used.push(`startProcesses ${service.name}`);
            const instances: Array<{ version: string; instance: string; host: string; port: number }> = [];
            for (const version of Object.keys(service.versions)) {
              const instance = `${service.name}-${version}-node`;
              instances.push({ version, instance, host: "127.0.0.1", port: await listen(instance) });
            }
            return {
              instances,
              stop: async () => {
                used.push("stop");
                await Promise.all([...servers.keys()].map(close));
              },
              kill: async (instance, signal) => {
                used.push(`kill ${instance} ${signal}`);
                await close(instance);
              },
              restart: async (instance) => {
                used.push(`restart ${instance}`);
                await listen(instance, instances.find((i) => i.instance === instance)!.port);
              },
            };
          },
          instanceStats: async (service, address) => {
            used.push(`instanceStats ${service.name} ${address.port}`);
            const instance = [...servers].find(([, s]) => (s.address() as { port: number } | null)?.port === address.port)?.[0];
            return { "received.connections": connections.get(instance ?? "") ?? 0 };
          },
        },
      };
      return { protocol, used, servers };
    }

    const SERVICE: ServiceSpec = { name: "gauge", namespace: "default", protocol: "probe", port: 7100, versions: { v1: { replicas: 3 }, v2: { replicas: 1 } } };

    it("names its instances, listeners and ServiceEntry wherever the topology asks", () => {
      extra.protocol = probeProtocol().protocol;
      expect(serviceInstances(SERVICE)).toEqual([
        { version: "v1", instance: "gauge-v1-node" },
        { version: "v2", instance: "gauge-v2-node" },
      ]);
      expect(listenerNames(SERVICE)).toEqual(["gauge.default.svc.cluster.local_7100", "gauge.default.svc.cluster.local_7101"]);
      expect((serviceEntryFor(SERVICE, []) as { spec: { ports: unknown[] } }).spec.ports).toEqual([{ number: 7100, name: "tcp-probe", protocol: "TCP" }]);
    });

    it("is started, read, killed, restarted and stopped by the process backend through its hooks", async () => {
      const probe = probeProtocol();
      extra.protocol = probe.protocol;
      const running = await processBackend.up({ services: [SERVICE], clients: [] }, {});
      try {
        expect(probe.used).toEqual(["startProcesses gauge"]);
        // No replica-per-version fixture programs: the instances are the hook's servers.
        expect(running.instances.map((i) => i.instance)).toEqual(["gauge-v1-node", "gauge-v2-node"]);
        const v1 = running.instances[0]!;
        expect(v1.port).toBe((probe.servers.get("gauge-v1-node")!.address() as { port: number }).port);
        const entry = running.generatedResources.find((r) => r.kind === "ServiceEntry") as { spec: { ports: unknown[]; endpoints: Array<{ ports: Record<string, number> }> } };
        expect(entry.spec.ports).toEqual([{ number: 7100, name: "tcp-probe", protocol: "TCP" }]);
        expect(entry.spec.endpoints.map((e) => e.ports["tcp-probe"])).toEqual(running.instances.map((i) => i.port));

        await running.waitForInstance("gauge-v1-node", 5_000);
        expect(await running.readInstanceStats("gauge-v1-node")).toEqual({ "received.connections": 1 });
        await running.kill("gauge-v1-node", "SIGTERM");
        expect(probe.servers.has("gauge-v1-node")).toBe(false);
        await running.restart("gauge-v1-node");
        await running.waitForInstance("gauge-v1-node", 5_000);
        expect(probe.used).toEqual(["startProcesses gauge", `instanceStats gauge ${v1.port}`, "kill gauge-v1-node SIGTERM", "restart gauge-v1-node"]);
      } finally {
        await running.down();
      }
      expect(probe.used.at(-1)).toBe("stop");
      expect(probe.servers.size).toBe(0);
    });
  });
});
