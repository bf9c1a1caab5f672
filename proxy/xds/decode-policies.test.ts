/**
 * Policies end to end through the wire encoding: control-plane translation → protobuf Any bytes
 * → the proxy's decoder → its configuration model.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { loadResourceFiles } from "../../control-plane/resources/index.ts";
import { translate } from "../../control-plane/translate/index.ts";
import { decodeCluster, decodeListener, decodeRouteConfiguration } from "./decode.ts";

const HOST = "hello.meta-thrift.svc.cluster.local";
const DUBBO = "org.apache.dubbo.samples.basic.api.demoservice";
const file = fileURLToPath(new URL("../../control-plane/testdata/policies.yaml", import.meta.url));

function wire(typeUrl: string, resource: object) {
  const any = encodeAny(typeUrl, resource);
  return decodeAny(any.type_url, any.value);
}

describe("decode policies from the wire", () => {
  const { resources, problems } = loadResourceFiles([file]);
  const out = translate(resources);

  it("loads without problems", () => expect(problems).toEqual([]));

  it("decodes routes: mirror, mutations, hash policy, timeout, retries with budget, fault", () => {
    const rc = decodeRouteConfiguration(wire(TYPE_URL.route, out.routes.find((r) => r.name === `${HOST}_9090`)!));
    expect(rc.routes).toEqual([
      {
        name: "mirrored",
        match: [{ name: "method", kind: "prefix", value: "say" }],
        action: { kind: "cluster", cluster: `outbound|9090|v1|${HOST}` },
        requestMutation: [{ key: "foo", value: "bar" }],
        responseMutation: [{ key: "served-by", value: "meshsim" }],
        mirror: { cluster: `outbound|9090|v2|${HOST}`, percentage: 12.5 },
      },
      {
        name: "split",
        match: [],
        action: {
          kind: "weighted",
          clusters: [
            { name: `outbound|9090|v1|${HOST}`, weight: 30 },
            { name: `outbound|9090|v2|${HOST}`, weight: 70 },
          ],
        },
        hashPolicy: ["user"],
        timeoutMs: 2000,
        retries: { attempts: 3, retryOn: ["connect-failure", "error-reply"], perTryTimeoutMs: 500, budget: 0.25 },
        fault: {
          abort: { percentage: 10, errorKind: "upstream_failure", message: "injected" },
          delay: { percentage: 50, fixedDelayMs: 100 },
        },
      },
    ]);
  });

  it("decodes listeners: local and global rate limits, Dubbo authorization", () => {
    const thrift = decodeListener(wire(TYPE_URL.listener, out.listeners.find((l) => l.name === `${HOST}_9090`)!));
    expect(thrift.localRateLimit).toEqual({
      tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60000 },
      conditions: [{ match: [{ name: "method", kind: "exact", value: "sayHello" }], tokenBucket: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 30000 } }],
    });
    expect(thrift.globalRateLimit).toEqual({
      domain: "production",
      rateLimitServiceCluster: "outbound|8081||rate-limit-server.meta-thrift.svc.cluster.local",
      denyOnFail: true,
      timeoutMs: 100,
      descriptors: [{ key: "method", property: "method" }],
      match: [{ name: "method", kind: "exact", value: "sayHello" }],
    });
    expect(thrift.authorization).toBeUndefined();
    const dubbo = decodeListener(wire(TYPE_URL.listener, out.listeners.find((l) => l.name === `${DUBBO}_20880`)!));
    expect(dubbo.codec).toBe("dubbo");
    expect(dubbo.authorization).toEqual([
      {
        name: "meta-dubbo/allow-hello",
        action: "ALLOW",
        rules: [
          [
            { name: "interface", kind: "exact", value: "org.apache.dubbo.samples.basic.api.DemoService" },
            { name: "method", kind: "exact", value: "sayHello" },
          ],
          [
            { name: "interface", kind: "exact", value: "org.apache.dubbo.samples.basic.api.DemoService" },
            { name: "method", kind: "prefix", value: "get" },
          ],
        ],
      },
      {
        name: "istio-system/deny-admin",
        action: "DENY",
        rules: [
          [
            { name: "interface", kind: "regex", value: "(?!(?:org\\.apache\\.dubbo\\.samples\\.public\\..*)$).*" },
            { name: "method", kind: "regex", value: ".*Admin" },
          ],
        ],
      },
    ]);
  });

  it("decodes clusters: ring hash, maglev, least request, circuit breakers, outlier detection", () => {
    const clusters = out.clusters.filter((c) => c.name.endsWith(HOST)).map((c) => decodeCluster(wire(TYPE_URL.cluster, c)));
    const breakers = { maxConnections: 100, maxPendingRequests: 10, maxRequests: 1000, maxRetries: 3 };
    expect(clusters).toEqual([
      {
        name: `outbound|9090||${HOST}`,
        lbPolicy: "ring_hash",
        connectTimeoutMs: 250,
        connectionsPerEndpoint: 1,
        minimumRingSize: 2048,
        circuitBreakers: breakers,
        outlierDetection: { consecutiveErrors: 5, intervalMs: 10000, baseEjectionTimeMs: 30000, maxEjectionPercent: 50 },
      },
      {
        name: `outbound|9090|v1|${HOST}`,
        lbPolicy: "least_request",
        connectTimeoutMs: 250,
        connectionsPerEndpoint: 1,
        circuitBreakers: breakers,
        outlierDetection: { consecutiveErrors: 5, intervalMs: 10000, baseEjectionTimeMs: 30000, maxEjectionPercent: 50 },
      },
      {
        name: `outbound|9090|v2|${HOST}`,
        lbPolicy: "maglev",
        connectTimeoutMs: 250,
        connectionsPerEndpoint: 1,
        circuitBreakers: breakers,
        outlierDetection: { consecutiveErrors: 2, intervalMs: 1000, baseEjectionTimeMs: 1500, maxEjectionPercent: 10 },
      },
    ]);
  });

  it("NACKs forms it cannot honour, with a reason", () => {
    expect(() => decodeListener(wire(TYPE_URL.listener, out.listeners.find((l) => l.api_listener)!))).toThrow(/API listener/);
    const rc = structuredClone(out.routes.find((r) => r.name === `${HOST}_9090`)!);
    (rc.virtual_hosts[0]!.routes[1]!.route as Record<string, unknown>).retry_policy = { retry_on: "5xx", num_retries: { value: 1 } };
    expect(() => decodeRouteConfiguration(wire(TYPE_URL.route, rc))).toThrow('route split: unsupported retry_on "5xx"');
    const hashed = structuredClone(out.routes.find((r) => r.name === `${HOST}_9090`)!);
    (hashed.virtual_hosts[0]!.routes[1]!.route as Record<string, unknown>).hash_policy = [{ connection_properties: { source_ip: true } }];
    expect(() => decodeRouteConfiguration(wire(TYPE_URL.route, hashed))).toThrow(/only header hashing/);
    const listener = structuredClone(out.listeners.find((l) => l.name === `${HOST}_9090`)!);
    (listener.filter_chains![0]!.filters[0]!.typed_config.value.meta_protocol_filters as Array<{ name: string }>)[0]!.name = "aeraki.meta_protocol.filters.metadata_exchange";
    expect(() => decodeListener(wire(TYPE_URL.listener, listener))).toThrow(/metadata_exchange\): unsupported filter/);
  });
});
