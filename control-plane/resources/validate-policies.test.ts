/** The checks added for the full MetaRouter, the extension annotation and the Redis/Dubbo kinds. */
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../common/errors.ts";
import { parseResources, validateResources } from "./index.ts";

const SE = `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: hello, namespace: ns }
spec:
  hosts: [hello.ns.svc.cluster.local]
  ports: [{ number: 9090, name: tcp-metaprotocol-thrift-hello }]
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: hello, namespace: ns }
spec:
  host: hello
  subsets: [{ name: v1, labels: { version: v1 } }]
---
`;

function check(yaml: string): string[] {
  const { resources, problems } = parseResources(SE + yaml, "f.yaml");
  return [...problems, ...validateResources(resources)].map(formatProblem);
}

describe("MetaRouter validation", () => {
  it("accepts a short DestinationRule host read in its namespace", () => {
    expect(
      check(`apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: { name: r, namespace: ns }
spec:
  hosts: [hello.ns.svc.cluster.local]
  routes:
    - route: [{ destination: { host: hello.ns.svc.cluster.local, subset: v1 } }]
`),
    ).toEqual([]);
  });

  it("reports duplicate names, unreachable routes, mirror percentage without mirror, empty mutation values, incomplete rate limits", () => {
    expect(
      check(`apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: { name: r, namespace: ns }
spec:
  hosts: [hello.ns.svc.cluster.local]
  localRateLimit:
    tokenBucket: { maxTokens: 0 }
  globalRateLimit:
    domain: d
    rateLimitService: rate-limit-server
    descriptors: []
  routes:
    - name: a
      match: { attributes: { method: { exact: x } } }
      route: [{ destination: { host: hello.ns.svc.cluster.local } }]
      mirrorPercentage: { value: 50 }
      requestMutation: [{ key: foo, value: "" }]
    - name: a
      route: [{ destination: { host: hello.ns.svc.cluster.local } }]
    - name: b
      route: [{ destination: { host: hello.ns.svc.cluster.local } }]
`),
    ).toEqual(
      [
        "f.yaml:22:43: MetaRouter/r spec.routes[0].requestMutation[0].value: must not be empty",
        "f.yaml:20:33: MetaRouter/r spec.localRateLimit.tokenBucket.maxTokens: must be between 1 and 9007199254740991",
        "f.yaml:20:18: MetaRouter/r spec.localRateLimit.tokenBucket.fillInterval: required field is missing",
        "f.yaml:25:18: MetaRouter/r spec.globalRateLimit.descriptors: must not be empty",
        "f.yaml:21:20: MetaRouter/r spec.routes[0].mirrorPercentage: is set but the route has no mirror",
        'f.yaml:23:13: MetaRouter/r spec.routes[1].name: duplicate route name "a" (first at spec.routes[0])',
        'f.yaml:26:7: MetaRouter/r spec.routes[2]: unreachable: spec.routes[1] ("a") before it matches every request',
        'f.yaml:25:23: MetaRouter/r spec.globalRateLimit.rateLimitService: "rate-limit-server" is not a cluster name (outbound|<port>|<subset>|<host>)',
      ].map((l) => expect.stringContaining(l.split(": ").slice(1).join(": "))),
    );
  });

  it("checks the extension annotation with lines counted in the file", () => {
    const problems = check(`apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: r
  namespace: ns
  annotations:
    meshsim.dev/route-policies: |
      a:
        retries: { attempts: 2, retryOn: [reset, 5xx] }
        fault:
          abort: { errorKind: teapot }
      nope:
        timeout: 1s
spec:
  hosts: [hello.ns.svc.cluster.local]
  routes:
    - name: a
      route: [{ destination: { host: hello.ns.svc.cluster.local } }]
`);
    expect(problems).toEqual([
      'f.yaml:23:44: MetaRouter/r metadata.annotations.meshsim.dev/route-policies.a.retries.retryOn[1]: must be one of connect-failure, reset, error-reply, timeout, found "5xx"',
      'f.yaml:25:25: MetaRouter/r metadata.annotations.meshsim.dev/route-policies.a.fault.abort.errorKind: must be one of no_route, no_cluster, no_healthy_endpoint, upstream_failure, timeout, rate_limited, fault_abort, overflow, found "teapot"',
      'f.yaml:27:3: MetaRouter/r metadata.annotations.meshsim.dev/route-policies.nope: no route named "nope" in spec.routes',
    ]);
  });
});

describe("Redis and Dubbo validation", () => {
  it("reports unknown hosts, duplicate prefixes and bad value patterns", () => {
    const problems = check(`apiVersion: redis.aeraki.io/v1alpha1
kind: RedisService
metadata: { name: redis, namespace: ns }
spec:
  host: [redis.ns.svc.cluster.local]
  redis:
    - match: { key: { prefix: a } }
      route: { host: hello.ns.svc.cluster.local }
    - match: { key: { prefix: a } }
      route: { host: hello.ns.svc.cluster.local }
  faults:
    - { type: DELAY, percentage: { value: 10 } }
---
apiVersion: dubbo.aeraki.io/v1alpha1
kind: DubboAuthorizationPolicy
metadata: { name: p, namespace: ns }
spec:
  action: DENY
  rules:
    - to: [{ operation: { methods: ["say*Hello"] } }]
`);
    expect(problems.map((p) => p.replace(/^f\.yaml:\d+:\d+: /, ""))).toEqual([
      "RedisService/redis spec.faults[0].delay: a DELAY fault needs a delay",
      'RedisService/redis spec.host[0]: unknown host "redis.ns.svc.cluster.local": no ServiceEntry or Kubernetes Service defines it',
      'RedisService/redis spec.redis[1].match.key.prefix: duplicate prefix "a" (first at spec.redis[0])',
      'DubboAuthorizationPolicy/p spec.rules[0].to[0].operation.methods[0]: "say*Hello": "*" may only start or end a value',
    ]);
  });
});
