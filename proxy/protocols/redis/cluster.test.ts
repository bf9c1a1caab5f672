/** Cluster mode against a real 3-master Redis Cluster, and read policies against a primary + replica. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command, commandCalls, startCluster, startReplicated, type RedisGroup, type RedisProcess } from "../../../fixtures/redis/redis-server.ts";
import { slotOf } from "./slot.ts";
import { startRedisMesh, type RedisMesh } from "./testing/redis-mesh.ts";

let cluster: RedisGroup & { ranges: Array<[number, number]> };
let replicated: RedisGroup & { primary: RedisProcess; replicas: RedisProcess[] };
let mesh: RedisMesh;

beforeAll(async () => {
  [cluster, replicated] = await Promise.all([startCluster(), startReplicated()]);
  mesh = await startRedisMesh(
    [
      // Only one seed: the rest of the cluster comes from CLUSTER SLOTS.
      { name: "cluster", endpoints: [{ host: cluster.nodes[0]!.host, port: cluster.nodes[0]!.port }], redis: { mode: "cluster" } },
      { name: "replicated", endpoints: replicated.nodes.map((n) => ({ host: n.host, port: n.port })) },
    ],
    { catchAll: { cluster: "cluster", mirrors: [] } },
  );
}, 60_000);

afterAll(async () => {
  await mesh?.close();
  await cluster?.stop();
  await replicated?.stop();
});

const owner = (key: string) => cluster.nodes[cluster.ranges.findIndex(([s, e]) => slotOf(key) >= s && slotOf(key) <= e)]!;

describe("cluster mode", () => {
  it("sends each key to the master owning its slot", async () => {
    const c = mesh.client();
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    for (const k of keys) expect(await c.set(k, k)).toBe("OK");
    for (const k of keys) {
      const [v] = await command(owner(k).host, owner(k).port, [["GET", k]]);
      expect(v).toBe(k);
    }
  });

  it("splits cross-slot MGET/MSET/DEL for a cluster-unaware client", async () => {
    const c = mesh.client();
    const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "{tag}a", "{tag}b"];
    expect(new Set(keys.map((k) => owner(k).port)).size).toBeGreaterThan(1);
    expect(await c.mset(...keys.flatMap((k) => [k, `v-${k}`]))).toBe("OK");
    expect(await c.mget(...keys, "absent")).toEqual([...keys.map((k) => `v-${k}`), null]);
    expect(await c.exists(...keys)).toBe(keys.length);
    expect(await c.del(...keys)).toBe(keys.length);
  });

  it("follows MOVED after a slot migrates and refreshes the map", async () => {
    const c = mesh.client();
    const key = "migrating-key";
    await c.set(key, "before");
    const from = owner(key);
    const to = cluster.nodes.find((n) => n !== from)!;
    const slot = slotOf(key);
    const [toId] = await command(to.host, to.port, [["CLUSTER", "MYID"]]);
    const [fromId] = await command(from.host, from.port, [["CLUSTER", "MYID"]]);
    await command(to.host, to.port, [["CLUSTER", "SETSLOT", String(slot), "IMPORTING", String(fromId)]]);
    await command(from.host, from.port, [["CLUSTER", "SETSLOT", String(slot), "MIGRATING", String(toId)]]);
    // While migrating, a missing key on the source answers ASK.
    expect(await c.get("migrating-key-absent-{migrating-key}")).toBeNull();
    await command(from.host, from.port, [["MIGRATE", to.host, String(to.port), key, "0", "5000"]]);
    for (const n of cluster.nodes) await command(n.host, n.port, [["CLUSTER", "SETSLOT", String(slot), "NODE", String(toId)]]);
    expect(await c.get(key)).toBe("before");
    expect(mesh.stat("redis.redis.default.svc.cluster.local_6379.moved_followed") + mesh.stat("redis.redis.default.svc.cluster.local_6379.ask_followed")).toBeGreaterThan(0);
    expect(await c.set(key, "after")).toBe("OK");
    const [v] = await command(to.host, to.port, [["GET", key]]);
    expect(v).toBe("after");
  });

  it("refuses cross-slot commands that cannot be split", async () => {
    const c = mesh.client();
    await expect(c.rename("alpha", "beta")).rejects.toThrow(/CROSSSLOT/);
  });
});

describe("read policies", () => {
  it("REPLICA: reads on the replica, writes on the primary", async () => {
    await mesh.setRedis({ catchAll: { cluster: "replicated", mirrors: [] }, readPolicy: "REPLICA" });
    const c = mesh.client();
    const before = await commandCalls(replicated.replicas[0]!);
    const primaryBefore = await commandCalls(replicated.primary);
    for (let i = 0; i < 20; i++) await c.set(`rp${i}`, "v");
    await command(replicated.primary.host, replicated.primary.port, [["WAIT", "1", "5000"]]); // the replica has the writes
    for (let i = 0; i < 50; i++) await c.get(`rp${i % 20}`);
    const after = await commandCalls(replicated.replicas[0]!);
    const primaryAfter = await commandCalls(replicated.primary);
    expect((after.get ?? 0) - (before.get ?? 0)).toBe(50);
    expect((primaryAfter.get ?? 0) - (primaryBefore.get ?? 0)).toBe(0);
    expect((primaryAfter.set ?? 0) - (primaryBefore.set ?? 0)).toBe(20);
  });

  it("MASTER: everything on the primary", async () => {
    await mesh.setRedis({ catchAll: { cluster: "replicated", mirrors: [] }, readPolicy: "MASTER" });
    const c = mesh.client();
    const before = await commandCalls(replicated.primary);
    for (let i = 0; i < 10; i++) await c.get(`rp${i}`);
    const after = await commandCalls(replicated.primary);
    expect((after.get ?? 0) - (before.get ?? 0)).toBe(10);
  });
});
