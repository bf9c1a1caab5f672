/**
 * A small real mesh for behaviour tests: Thrift fixture servers per version, one Proxy configured
 * directly through its ConfigSink (no control plane), and npm thrift clients through it.
 */
import { startThriftServer, type RunningThriftServer } from "../../fixtures/thrift/hello-server.ts";
import { createHelloClient, type HelloClientHandle } from "../../fixtures/thrift/hello-client.ts";
import type { ClusterConfig, Endpoint, ListenerConfig, RouteEntry } from "../config/types.ts";
import { Proxy } from "../proxy.ts";

export const ROUTE_NAME = "hello.default.svc.cluster.local_9090";

export interface ThriftMesh {
  proxy: Proxy;
  port: number;
  servers: Record<string, RunningThriftServer[]>;
  /** Routes replace the whole table, as an RDS update does. */
  setRoutes(routes: RouteEntry[]): void;
  setCluster(name: string, overrides: Partial<ClusterConfig>, endpoints?: Endpoint[]): void;
  setListener(overrides: { [K in keyof ListenerConfig]?: ListenerConfig[K] | undefined }): Promise<void>;
  client(): HelloClientHandle;
  stat(name: string): number;
  close(): Promise<void>;
}

/** Cluster `v1`, `v2` ... per version, and `all` over every instance. */
export async function startThriftMesh(versions: Record<string, number>, clusterDefaults: Partial<ClusterConfig> = {}): Promise<ThriftMesh> {
  const servers: Record<string, RunningThriftServer[]> = {};
  for (const [version, replicas] of Object.entries(versions)) {
    servers[version] = [];
    for (let i = 0; i < replicas; i++) {
      servers[version]!.push(await startThriftServer({ service: "hello", version, instance: `hello-${version}-${i}` }));
    }
  }
  const proxy = new Proxy();
  const clusters = new Map<string, ClusterConfig>();
  const endpoints = new Map<string, Endpoint[]>();
  const base = (name: string): ClusterConfig => ({ name, lbPolicy: "round_robin", connectTimeoutMs: 500, connectionsPerEndpoint: 1, ...clusterDefaults });
  for (const [version, list] of Object.entries(servers)) {
    clusters.set(version, base(version));
    endpoints.set(
      version,
      list.map((s) => ({ host: "127.0.0.1", port: s.port })),
    );
  }
  clusters.set("all", base("all"));
  endpoints.set(
    "all",
    Object.values(servers)
      .flat()
      .map((s) => ({ host: "127.0.0.1", port: s.port })),
  );
  const push = () => {
    proxy.setClusters([...clusters.values()]);
    proxy.setEndpoints([...endpoints].map(([clusterName, eps]) => ({ clusterName, endpoints: eps })));
  };
  push();
  proxy.setRoutes([{ name: ROUTE_NAME, routes: [{ name: "default", match: [], action: { kind: "cluster", cluster: "all" } }] }]);
  let listener: ListenerConfig = { name: ROUTE_NAME, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: ROUTE_NAME, statPrefix: "hello" };
  await proxy.setListeners([listener]);
  const port = proxy.listeners.addresses()[ROUTE_NAME]!.port;
  const clients: HelloClientHandle[] = [];
  return {
    proxy,
    port,
    servers,
    setRoutes(routes) {
      proxy.setRoutes([{ name: ROUTE_NAME, routes }]);
    },
    setCluster(name, overrides, eps) {
      clusters.set(name, { ...(clusters.get(name) ?? base(name)), ...overrides, name });
      if (eps) endpoints.set(name, eps);
      push();
    },
    async setListener(overrides) {
      // An override of undefined removes that part of the listener, as an absent field does.
      listener = { ...listener, ...overrides, address: { host: "127.0.0.1", port } } as ListenerConfig;
      await proxy.setListeners([listener]);
    },
    client() {
      const c = createHelloClient({ port });
      clients.push(c);
      return c;
    },
    stat: (name) => proxy.stats.get(name),
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await proxy.close();
      await Promise.all(
        Object.values(servers)
          .flat()
          .map((s) => s.close()),
      );
    },
  };
}

/** Settles every promise and counts outcomes: replies by version, errors by meshsim error kind. */
export async function tally(calls: Array<Promise<{ identity: { version: string } }>>): Promise<{ ok: Record<string, number>; errors: Record<string, number> }> {
  const ok: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === "fulfilled") ok[r.value.identity.version] = (ok[r.value.identity.version] ?? 0) + 1;
    else {
      const m = /^meshsim: ([a-z_]+):/.exec(String((r.reason as Error)?.message));
      const kind = m ? m[1]! : ((r.reason as Error)?.name ?? "error");
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  }
  return { ok, errors };
}
