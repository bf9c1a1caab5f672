/**
 * The policies explain reports on shipped scenarios, each with whether it acts on the request and
 * the file:line of its rule: Dubbo authorization (a denial is the outcome), a global rate limit and
 * its descriptor, a Kafka local rate limit's condition, and Redis faults and mirrors by command.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { explain, type Explanation } from "./explain.ts";
import { sourceFromFiles, sourceFromResources } from "./explain-command.ts";
import { parseResources } from "../../control-plane/resources/parse.ts";

const HELLO = "hello.default.svc.cluster.local";
const lineOf = (file: string, text: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text)) + 1;

async function ask(file: string, host: string, metadata: Record<string, string>): Promise<Explanation> {
  const source = await sourceFromFiles([file], undefined);
  expect(source.problems).toEqual([]);
  return explain(source.config, { host, metadata }, source.provenance);
}

const policies = (e: Explanation) => e.policies.map((p) => `${p.applies ? "" : "(not applied) "}${p.kind}: ${p.detail} @${p.at?.line ?? "-"}`);

describe("explain's policies on the shipped scenarios", () => {
  it("Dubbo authorization: a denied method's outcome is the local reply, naming the policy and its line", async () => {
    const file = "scenarios/dubbo/authorization.yaml";
    const denied = await ask(file, HELLO, { interface: "meshsim.dubbo.HelloService", method: "getOrder" });
    expect(denied.outcome).toBe("denied by policy default/deny-orders: local reply unauthorized");
    expect(policies(denied)).toEqual([`authorization: denied: denied by policy default/deny-orders @${lineOf(file, "- to:")}`]);
    const allowed = await ask(file, HELLO, { interface: "meshsim.dubbo.HelloService", method: "sayHello" });
    expect(allowed.outcome).toMatch(/^route v1 → /);
  });

  it("a global rate limit asks its service with the request's descriptor, and skips a request without it", async () => {
    const file = "scenarios/thrift/global-rate-limit.yaml";
    const e = await ask(file, HELLO, { method: "getUser" });
    expect(policies(e)).toEqual([
      `global rate limit: asks outbound|8081||ratelimit.default.svc.cluster.local (domain hello, descriptors method=getUser), denies when it fails @${lineOf(file, "globalRateLimit:") + 1}`,
    ]);
    const without = await ask(file, HELLO, {});
    expect(policies(without)[0]).toMatch(/^\(not applied\) global rate limit: not checked: the request has no method for descriptor method/);
  });

  it("a Kafka local rate limit takes the first condition that holds; other clients are not limited", async () => {
    const file = "scenarios/kafka/rate-limit.yaml";
    const host = "kafka.default.svc.cluster.local";
    const noisy = await ask(file, host, { api_name: "Produce", client_id: "noisy", topic: "limited" });
    expect(policies(noisy)).toEqual([
      `local rate limit: condition 0 (client_id exact "noisy", api_name exact "Produce"): 5 tokens, 5 every 60000 ms @${lineOf(file, "- match: {attributes: {client_id")}`,
    ]);
    const quiet = await ask(file, host, { api_name: "Produce", client_id: "quiet", topic: "limited" });
    expect(policies(quiet)).toEqual([`(not applied) local rate limit: no condition matches and there is no default bucket: not limited @${lineOf(file, "localRateLimit:") + 1}`]);
  });

  it("Redis faults apply to their commands only; mirrors copy what they copy", async () => {
    const faults = "scenarios/redis/faults.yaml";
    const get = await ask(faults, "cache.default.svc.cluster.local", { command: "get", key: "k" });
    const set = await ask(faults, "cache.default.svc.cluster.local", { command: "set", key: "k" });
    const fault = (e: Explanation) => e.policies.filter((p) => p.kind === "fault").map((p) => `${p.applies} ${p.detail} @${p.at?.line}`);
    const line = lineOf(faults, "faults: [{type: DELAY");
    expect(fault(get)).toEqual([`true delay 100 ms on 100% of get @${line}`]);
    expect(fault(set)).toEqual([`false delay 100 ms on 100% of get (not set) @${line}`]);
    const mirror = await ask("scenarios/redis/mirror.yaml", "cache.default.svc.cluster.local", { command: "set", key: "k" });
    expect(mirror.policies.find((p) => p.kind === "mirror")).toMatchObject({ applies: true, detail: "50% copied to outbound|6380||shadow.default.svc.cluster.local" });
  });

  it("names the ServiceEntry for a host no MetaRouter routes, and a destination whose cluster the sidecar lacks", async () => {
    const file = "simulator/explain/testdata/orders-dubbo.yaml";
    const text = readFileSync(file, "utf8");
    const withoutRouter = parseResources(text.slice(0, text.indexOf("apiVersion: metaprotocol.aeraki.io")), file).resources;
    const plain = sourceFromResources(withoutRouter, [], file);
    const e = explain(plain.config, { host: "orders.default.svc.cluster.local", metadata: { method: "findAll" } }, plain.provenance);
    expect(e.route?.at).toEqual({ file, line: lineOf(file, "hosts: [orders"), resource: "ServiceEntry/orders", note: "no MetaRouter routes this host: every request goes to the whole service" });
    expect(e.route?.destinations.map((d) => d.endpoints.length)).toEqual([2]);

    const typo = parseResources(text.replace("subset: v2}", "subset: v9}"), file);
    const broken = sourceFromResources(typo.resources, typo.problems, file);
    expect(broken.problems.map((p) => p.message)).toContain('unknown subset "v9": DestinationRule DestinationRule/orders does not define it');
    const beta = explain(broken.config, { host: "orders.default.svc.cluster.local", metadata: { interface: "shop.OrderService", method: "findAll", tenant: "beta" } }, broken.provenance);
    expect(beta.route?.destinations[0]).toMatchObject({
      cluster: "outbound|20880|v9|orders.default.svc.cluster.local",
      missing: "the sidecar has no cluster outbound|20880|v9|orders.default.svc.cluster.local: local reply no_cluster",
      endpoints: [],
    });
    expect(beta.outcome).toBe(
      "route beta-queries → outbound|20880|v9|orders.default.svc.cluster.local (100%); the sidecar has no cluster outbound|20880|v9|orders.default.svc.cluster.local (100%): those requests get local reply no_cluster",
    );
  });
});
