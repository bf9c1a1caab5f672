/**
 * The shipped Redis scenarios end to end (control plane, sidecar proxy, real redis-server
 * processes, ioredis), plus the checks the scenario language cannot state: keys counted on each
 * backend, GETs counted per server with INFO commandstats, a client that knows the password.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { command, commandCalls } from "../fixtures/redis/redis-server.ts";
import { runScenario, upScenario } from "./runner.ts";
import type { RunningTopology } from "./runtime/backend.ts";
import { loadScenario } from "./scenario/loader.ts";

const SCENARIOS = ["prefix-routing", "mirror", "faults", "auth", "cluster", "read-policy", "route-change"];

describe("redis scenarios", () => {
  for (const name of SCENARIOS) {
    it(`${name} passes`, async () => {
      const summary = await runScenario(`scenarios/redis/${name}.yaml`, { noReports: true });
      expect(summary.error).toBeUndefined();
      const failed = summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.message}`));
      expect(failed).toEqual([]);
      expect(summary.passed).toBe(true);
    });
  }

  it("faults fails when the expected error share is wrong", async () => {
    const scenario = await loadScenario("scenarios/redis/faults.yaml");
    const gets = scenario.steps.find((s) => s.name === "gets")!;
    for (const e of gets.expect) if (e.kind === "errors") e.counts = { fault: { min: 0, max: 100 } };
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.passed).toBe(false);
  });
});

describe("redis scenarios, checked on the servers", () => {
  let topology: RunningTopology | undefined;
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await topology?.down();
    topology = undefined;
  });
  const client = (t: RunningTopology, service: string, options: Record<string, unknown> = {}) => {
    const c = new Redis({ ...t.addressFor("app", service), maxRetriesPerRequest: 0, ...options });
    c.on("error", () => {});
    clients.push(c);
    return c;
  };
  const instance = (t: RunningTopology, name: string) => t.instances.find((i) => i.instance === name)!;

  it("prefix routing: user: keys land on the users backend, the rest on cache", async () => {
    const scenario = await loadScenario("scenarios/redis/prefix-routing.yaml");
    topology = await upScenario(scenario);
    await topology.controlPlane.apply(scenario.steps[0]!.apply.map((r) => r.object));
    await topology.controlPlane.waitForAcked(topology.proxyIds(), 10_000);
    const c = client(topology, "cache");
    for (let i = 0; i < 40; i++) await c.set(`user:${i}`, "u");
    for (let i = 0; i < 25; i++) await c.set(`order:${i}`, "o");
    expect(await c.mget("user:1", "order:1")).toEqual(["u", "o"]);
    const keysOn = async (name: string) => (await command("127.0.0.1", instance(topology!, name).port, [["KEYS", "*"]]))[0] as string[];
    const users = await keysOn("users-v1-0");
    const cache = await keysOn("cache-v1-0");
    expect(users.length).toBe(40);
    expect(users.every((k) => k.startsWith("user:"))).toBe(true);
    expect(cache.length).toBe(25);
    expect(cache.every((k) => k.startsWith("order:"))).toBe(true);
  });

  it("read policy REPLICA: GETs counted on the replica, SETs on the primary", async () => {
    topology = await upScenario("scenarios/redis/read-policy.yaml");
    const c = client(topology, "db");
    const primary = instance(topology, "db-v1-0");
    const replica = instance(topology, "db-v1-1");
    const before = { primary: await commandCalls(primary), replica: await commandCalls(replica) };
    for (let i = 0; i < 30; i++) await c.set(`k${i}`, "v");
    for (let i = 0; i < 60; i++) await c.get(`k${i % 30}`);
    const after = { primary: await commandCalls(primary), replica: await commandCalls(replica) };
    expect((after.replica.get ?? 0) - (before.replica.get ?? 0)).toBe(60);
    expect((after.primary.get ?? 0) - (before.primary.get ?? 0)).toBe(0);
    expect((after.primary.set ?? 0) - (before.primary.set ?? 0)).toBe(30);
  });

  it("client auth: the right password works, a wrong one is refused", async () => {
    const scenario = await loadScenario("scenarios/redis/auth.yaml");
    topology = await upScenario(scenario);
    await topology.controlPlane.apply(scenario.steps.find((s) => s.name === "clients must authenticate")!.apply.map((r) => r.object));
    await topology.controlPlane.waitForAcked(topology.proxyIds(), 10_000);
    const good = client(topology, "vault", { password: "client-secret" });
    expect(await good.set("x", "1")).toBe("OK");
    expect(await good.get("x")).toBe("1");
    const bad = client(topology, "vault", { password: "wrong", retryStrategy: () => null, lazyConnect: true });
    await expect(bad.connect().then(() => bad.get("x"))).rejects.toThrow(/WRONGPASS|Connection is closed/);
  });
});
