/**
 * A Proxy with one Redis listener configured directly through its ConfigSink (no control
 * plane), in front of real redis-server processes, and ioredis clients through it.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { ClusterConfig, Endpoint, RedisListenerConfig } from "../../../config/types.ts";
import { Proxy } from "../../../proxy.ts";
import { DEFAULT_REDIS_LISTENER } from "../listener-state.ts";

// ioredis's constructor overloads do not accept its own RedisOptions under exactOptionalPropertyTypes.
const RedisWithOptions = Redis as unknown as new (options: RedisOptions) => Redis;

export const LISTENER = "redis.default.svc.cluster.local_6379";

export const BASE_SETTINGS: RedisListenerConfig = { ...DEFAULT_REDIS_LISTENER, opTimeoutMs: 2000, enableCommandStats: true };

export interface RedisMesh {
  proxy: Proxy;
  port: number;
  setRedis(config: Partial<RedisListenerConfig>): Promise<void>;
  setClusters(clusters: Array<{ name: string; endpoints: Endpoint[] } & Partial<ClusterConfig>>): void;
  client(options?: RedisOptions): Redis;
  stat(name: string): number;
  close(): Promise<void>;
}

export async function startRedisMesh(clusters: Array<{ name: string; endpoints: Endpoint[] } & Partial<ClusterConfig>>, redis: Partial<RedisListenerConfig>): Promise<RedisMesh> {
  const proxy = new Proxy();
  const setClusters: RedisMesh["setClusters"] = (list) => {
    proxy.setClusters(list.map(({ endpoints: _e, ...c }) => ({ lbPolicy: "round_robin", connectTimeoutMs: 500, connectionsPerEndpoint: 1, ...c })));
    proxy.setEndpoints(list.map((c) => ({ clusterName: c.name, endpoints: c.endpoints })));
  };
  setClusters(clusters);
  const listener = (r: Partial<RedisListenerConfig>) => ({
    name: LISTENER,
    address: { host: "127.0.0.1", port: 0 },
    codec: "redis",
    routeConfigName: LISTENER,
    statPrefix: "redis",
    redis: { ...BASE_SETTINGS, ...r },
  });
  await proxy.setListeners([listener(redis)]);
  const port = proxy.listeners.addresses()[LISTENER]!.port;
  const clients: Redis[] = [];
  return {
    proxy,
    port,
    async setRedis(r) {
      await proxy.setListeners([{ ...listener(r), address: { host: "127.0.0.1", port } }]);
    },
    setClusters,
    client(options) {
      const c = new RedisWithOptions({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, lazyConnect: false, ...options });
      c.on("error", () => {});
      clients.push(c);
      return c;
    },
    stat: (name) => proxy.stats.get(name),
    async close() {
      for (const c of clients) c.disconnect();
      await proxy.close();
    },
  };
}
