/** RedisService/RedisDestination → Envoy redis_proxy resources → the proxy's config, through protobuf. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { loadResourceFiles } from "../../control-plane/resources/index.ts";
import { translate } from "../../control-plane/translate/index.ts";
import { decodeCluster, decodeListener, decodeRouteConfiguration } from "./decode.ts";

const file = fileURLToPath(new URL("../../control-plane/translate/testdata/redis.yaml", import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped in assertions
type Obj = Record<string, any>;

function roundTrip(typeUrl: string, resource: object): Obj {
  const any = encodeAny(typeUrl, resource);
  return decodeAny(typeUrl, any.value) as Obj;
}

describe("redis over xDS", () => {
  const { resources, problems } = loadResourceFiles([file]);
  const out = translate(resources);

  it("loads the Aeraki resources", () => {
    expect(problems).toEqual([]);
  });

  it("serves a redis_proxy listener with prefix routes, mirror, faults, settings and client auth", () => {
    const l = out.listeners.find((x) => x.name === "redis.default.svc.cluster.local_6379")!;
    const config = decodeListener(roundTrip(TYPE_URL.listener, l));
    expect(config.codec).toBe("redis");
    expect(config.address).toEqual({ host: "0.0.0.0", port: 6379 });
    expect(config.redis).toEqual({
      routes: [{ prefix: "cache:", removePrefix: true, cluster: "outbound|6380||cache.default.svc.cluster.local", mirrors: [] }],
      catchAll: {
        cluster: "outbound|6379||redis.default.svc.cluster.local",
        mirrors: [{ cluster: "outbound|6380||cache.default.svc.cluster.local", percentage: 50, excludeReadCommands: true }],
      },
      caseInsensitive: true,
      opTimeoutMs: 2000,
      enableCommandStats: true,
      maxBufferSizeBeforeFlush: 0,
      bufferFlushTimeoutMs: 3,
      enableHashtagging: false,
      enableRedirection: false,
      readPolicy: "PREFER_REPLICA",
      downstreamAuth: { username: "app", password: "client-pw" },
      faults: [
        { type: "ERROR", percentage: 50, delayMs: 0, commands: ["get"] },
        { type: "DELAY", percentage: 10, delayMs: 100, commands: [] },
      ],
    });
  });

  it("a Redis service without a RedisService routes everything to itself", () => {
    const l = out.listeners.find((x) => x.name === "cache.default.svc.cluster.local_6380")!;
    const config = decodeListener(roundTrip(TYPE_URL.listener, l));
    expect(config.redis?.catchAll?.cluster).toBe("outbound|6380||cache.default.svc.cluster.local");
    expect(config.redis?.routes).toEqual([]);
  });

  it("carries upstream auth, cluster mode and the connection pool on the cluster", () => {
    const c = out.clusters.find((x) => x.name === "outbound|6380||cache.default.svc.cluster.local")!;
    const config = decodeCluster(roundTrip(TYPE_URL.cluster, c));
    expect(config.redis).toEqual({ mode: "cluster", auth: { password: "server-pw" }, discoveryEndpoints: [{ host: "127.0.0.1", port: 7002 }] });
    expect(config.connectTimeoutMs).toBe(1000);
    expect(config.circuitBreakers).toEqual({ maxConnections: 20 });
    const plain = decodeCluster(roundTrip(TYPE_URL.cluster, out.clusters.find((x) => x.name === "outbound|6379||redis.default.svc.cluster.local")!));
    expect(plain.redis).toBeUndefined();
  });

  it("serves endpoints and an empty route configuration per Redis listener", () => {
    const eps = out.endpoints.find((e) => e.cluster_name === "outbound|6380||cache.default.svc.cluster.local")!;
    expect(eps.endpoints[0]!.lb_endpoints.map((e) => e.endpoint.address.socket_address.port_value)).toEqual([7002, 7003]);
    const rc = out.routes.find((r) => r.name === "redis.default.svc.cluster.local_6379")!;
    expect(decodeRouteConfiguration(roundTrip(TYPE_URL.route, rc))).toEqual({ name: "redis.default.svc.cluster.local_6379", routes: [] });
  });
});
