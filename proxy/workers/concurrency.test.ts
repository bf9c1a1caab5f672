/**
 * `meshsim proxy --concurrency 2`: two worker processes serve the listeners; the primary holds
 * the one xDS stream and the admin endpoint. Real processes, a real Thrift server and the npm
 * thrift client, meshsim's control plane.
 */
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { allocatePort } from "../../common/ports.ts";
import { loadResourceFiles, parseResources } from "../../control-plane/resources/index.ts";
import { startControlPlane, type ControlPlane } from "../../control-plane/server.ts";
import { createHelloClient, type HelloClientHandle } from "../../fixtures/thrift/hello-client.ts";
import { startThriftServer, type RunningThriftServer } from "../../fixtures/thrift/hello-server.ts";
import { nodeScript } from "../../simulator/runtime/node-command.ts";
import { ProcessSupervisor } from "../../simulator/runtime/process-supervisor.ts";
import { processAlive } from "../../simulator/testing/processes.ts";
import type { Bootstrap } from "../config/types.ts";
import { sumPrometheus } from "./proxy-workers.ts";

const HOST = "hello.meta-thrift.svc.cluster.local";
const testdata = fileURLToPath(new URL("../../control-plane/testdata/thrift-hello.yaml", import.meta.url));

const supervisor = new ProcessSupervisor();
const clients: HelloClientHandle[] = [];
let server: RunningThriftServer | undefined;
let cp: ControlPlane | undefined;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await supervisor.stopAll();
  await server?.close();
  await cp?.close();
  server = undefined;
  cp = undefined;
});

function staticBootstrap(upstreamPort: number, listenerPort: number): Bootstrap {
  return {
    node: { id: "bench", cluster: "bench" },
    admin: { host: "127.0.0.1", port: 0 },
    staticResources: {
      listeners: [{ name: "hello", address: { host: "127.0.0.1", port: listenerPort }, codec: "thrift", routeConfigName: "hello", statPrefix: "hello" }],
      routes: [{ name: "hello", routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "hello" } }] }],
      clusters: [{ name: "hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }],
      endpoints: [{ clusterName: "hello", endpoints: [{ host: "127.0.0.1", port: upstreamPort }] }],
    },
  };
}

async function startProxy(bootstrap: Bootstrap) {
  const { command, args } = nodeScript("proxy/main.ts", ["--concurrency", "2", "--bootstrap-json", JSON.stringify(bootstrap)]);
  const proxy = await supervisor.start({ name: "proxy", command, args });
  const admin = `http://127.0.0.1:${Number(proxy.ready.adminPort)}`;
  return { proxy, stats: async () => (await (await fetch(`${admin}/stats`)).json()) as Record<string, number>, admin };
}

describe("proxy --concurrency 2", () => {
  it("spreads connections over both workers, and the admin sums their counters", async () => {
    server = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0" });
    const { proxy, stats } = await startProxy(staticBootstrap(server.port, 0));
    expect(proxy.ready.workers).toBe(2);
    const workerPids = proxy.ready.pids as number[];
    expect(workerPids).toHaveLength(2);
    const port = (proxy.ready.listeners as Record<string, { port: number }>).hello!.port;
    for (let i = 0; i < 8; i++) clients.push(createHelloClient({ port }));
    const replies = await Promise.all(clients.flatMap((c) => Array.from({ length: 5 }, (_, i) => c.sayHello(`w${i}`))));
    expect(replies).toHaveLength(40);

    const s = await stats();
    expect(s["listener.hello.downstream_cx_total"]).toBe(8);
    expect(s["listener.hello.downstream_cx_active"]).toBe(8);
    expect(s["cluster.hello.upstream_rq_completed"]).toBe(40);
    // Each worker took some of the connections (node:cluster hands them out in turn).
    expect(s["listener.hello.worker_0.downstream_cx_total"]! + s["listener.hello.worker_1.downstream_cx_total"]!).toBe(8);
    expect(s["listener.hello.worker_0.downstream_cx_total"]).toBeGreaterThan(0);
    expect(s["listener.hello.worker_1.downstream_cx_total"]).toBeGreaterThan(0);

    // The workers go with the proxy, also when it is killed outright.
    await supervisor.stop("proxy", "SIGKILL");
    await vi.waitFor(() => expect(workerPids.filter(processAlive)).toEqual([]), { timeout: 5000, interval: 20 });
  });

  it("stops at once on SIGTERM with client connections open: the workers close them and exit", async () => {
    server = await startThriftServer({ service: "hello", version: "v1", instance: "hello-v1-0" });
    const { proxy } = await startProxy(staticBootstrap(server.port, 0));
    const port = (proxy.ready.listeners as Record<string, { port: number }>).hello!.port;
    for (let i = 0; i < 4; i++) clients.push(createHelloClient({ port }));
    await Promise.all(clients.map((c) => c.sayHello("x")));
    const workerPids = proxy.ready.pids as number[];
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => proxy.child.once("exit", (code) => resolve(code)));
    proxy.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    // Well inside the 2 s after which a stuck shutdown is forced.
    expect(Date.now() - started).toBeLessThan(1500);
    await vi.waitFor(() => expect(workerPids.filter(processAlive)).toEqual([]), { timeout: 5000, interval: 20 });
    expect(proxy.tail()).not.toMatch(/ERR_IPC|Error/);
  });

  it("fails to start, with the workers' reason, when a listener cannot bind", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startProxy(staticBootstrap(1, port))).rejects.toThrow(/exited before it was ready[\s\S]*EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it("holds one xDS stream for all workers; an update reaches every worker before it is ACKed", async () => {
    cp = await startControlPlane();
    const { resources } = loadResourceFiles([testdata]);
    cp.store.apply(resources.filter((r) => r.kind !== "MetaRouter"));
    await cp.settled();
    const listenerPort = await allocatePort();
    const { stats } = await startProxy({
      node: { id: "sidecar-1", cluster: "hello-client" },
      xds: { address: `127.0.0.1:${cp.xdsPort}` },
      admin: { host: "127.0.0.1", port: 0 },
      redirects: { [`${HOST}_9090`]: { host: "127.0.0.1", port: listenerPort } },
    });
    const controlPlane = cp;
    await vi.waitFor(() => expect(controlPlane.status().proxies.length > 0 && controlPlane.status().acked).toBe(true), { timeout: 10_000, interval: 20 });
    expect(controlPlane.status().proxies.map((p) => p.id)).toEqual(["sidecar-1"]);
    expect((await stats())["xds.route_updates"]).toBe(2);

    cp.store.apply(
      parseResources(
        `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: hello, namespace: meta-thrift}
spec:
  hosts: [${HOST}]
  routes:
    - name: to-v2
      route: [{destination: {host: ${HOST}, subset: v2}}]
`,
        "router.yaml",
      ).resources,
    );
    const version = await cp.settled();
    await vi.waitFor(() => expect(controlPlane.allAcked(version)).toBe(true), { timeout: 10_000, interval: 20 });
    // Each worker applied it (xDS counters, like every counter, are summed over the workers).
    expect((await stats())["xds.route_updates"]).toBe(4);
  });

  it("NACKs an update a worker refuses, with its reason", async () => {
    cp = await startControlPlane();
    const { resources } = loadResourceFiles([testdata]);
    cp.store.apply(resources.filter((r) => r.kind !== "MetaRouter"));
    await cp.settled();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    try {
      await startProxy({
        node: { id: "sidecar-1", cluster: "hello-client" },
        xds: { address: `127.0.0.1:${cp.xdsPort}` },
        admin: { host: "127.0.0.1", port: 0 },
        redirects: { [`${HOST}_9090`]: { host: "127.0.0.1", port: (taken.address() as { port: number }).port } },
      });
      const controlPlane = cp;
      await vi.waitFor(() => expect(controlPlane.status().proxies[0]?.types.Listener?.nack?.reason).toMatch(/EADDRINUSE/), { timeout: 10_000, interval: 20 });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

describe("sumPrometheus", () => {
  it("adds the samples of each series and keeps each comment once", () => {
    const a = '# TYPE meshsim_x counter\nmeshsim_x 2\nistio_requests_total{a="1"} 3\n';
    const b = '# TYPE meshsim_x counter\nmeshsim_x 5\nistio_requests_total{a="2"} 1\nistio_requests_total{a="1"} 4\n';
    expect(sumPrometheus([a, b])).toBe('# TYPE meshsim_x counter\nmeshsim_x 7\nistio_requests_total{a="1"} 7\nistio_requests_total{a="2"} 1\n');
  });
});
