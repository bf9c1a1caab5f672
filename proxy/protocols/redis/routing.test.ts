/** Prefix routing, mirrors, faults, auth and live route changes, checked on the real backends. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { command, startRedis, type RedisProcess } from "../../../fixtures/redis/redis-server.ts";
import { redisCli } from "./testing/redis-cli.ts";
import { LISTENER, startRedisMesh, type RedisMesh } from "./testing/redis-mesh.ts";

let a: RedisProcess;
let b: RedisProcess;
let m: RedisProcess;
let locked: RedisProcess;
let mesh: RedisMesh;

const ep = (p: RedisProcess) => [{ host: p.host, port: p.port }];
const keys = async (p: RedisProcess, pattern = "*") => ((await command(p.host, p.port, [["KEYS", pattern]]))[0] as string[]).sort();
const flush = (...ps: RedisProcess[]) => Promise.all(ps.map((p) => command(p.host, p.port, [["FLUSHALL"]])));

beforeAll(async () => {
  [a, b, m] = await Promise.all([startRedis(), startRedis(), startRedis()]);
  locked = await startRedis({ password: "s3cret" });
  mesh = await startRedisMesh(
    [
      { name: "a", endpoints: ep(a) },
      { name: "b", endpoints: ep(b) },
      { name: "m", endpoints: ep(m) },
      { name: "locked", endpoints: ep(locked), redis: { mode: "proxy", auth: { password: "s3cret" } } },
      // Nothing listens on port 1: a mirror that is down.
      { name: "gone", endpoints: [{ host: "127.0.0.1", port: 1 }] },
    ],
    {
      routes: [
        { prefix: "user:", removePrefix: false, cluster: "b", mirrors: [] },
        { prefix: "user:vip:", removePrefix: true, cluster: "a", mirrors: [] },
      ],
      catchAll: { cluster: "a", mirrors: [] },
    },
  );
});

afterAll(async () => {
  await mesh?.close();
  await Promise.all([a, b, m, locked].map((p) => p?.stop()));
});

describe("prefix routes", () => {
  it("sends keys by longest prefix, removes the prefix where asked, catch-all for the rest", async () => {
    await flush(a, b);
    const c = mesh.client();
    await c.set("user:1", "x");
    await c.set("user:vip:7", "y");
    await c.set("order:1", "z");
    expect(await keys(b)).toEqual(["user:1"]);
    expect(await keys(a)).toEqual(["7", "order:1"]);
    expect(await c.get("user:vip:7")).toBe("y");
  });

  it("splits MGET/MSET/DEL across routes and merges in key order", async () => {
    await flush(a, b);
    const c = mesh.client();
    expect(await c.mset("user:1", "u1", "o:1", "o1", "user:2", "u2", "user:vip:3", "v3")).toBe("OK");
    expect(await keys(b)).toEqual(["user:1", "user:2"]);
    expect(await keys(a)).toEqual(["3", "o:1"]);
    expect(await c.mget("o:1", "user:2", "nope", "user:vip:3", "user:1")).toEqual(["o1", "u2", null, "v3", "u1"]);
    expect(await c.exists("user:1", "o:1", "nope")).toBe(2);
    expect(await c.del("user:1", "o:1", "user:vip:3")).toBe(3);
    expect(mesh.stat("redis.redis.default.svc.cluster.local_6379.split_requests")).toBeGreaterThan(0);
  });

  it("refuses KEYS, SCAN and the other whole-keyspace commands while prefix routes split the keyspace", async () => {
    await flush(a, b);
    await mesh.setRedis({ routes: [{ prefix: "user:", removePrefix: false, cluster: "b", mirrors: [] }], catchAll: { cluster: "a", mirrors: [] } });
    const c = mesh.client();
    await c.set("user:1", "x");
    await c.set("order:1", "y");
    for (const cmd of [["KEYS", "*"], ["SCAN", "0"], ["DBSIZE"], ["RANDOMKEY"], ["FLUSHALL"], ["FLUSHDB"]]) {
      const name = cmd[0]!.toLowerCase();
      await expect(c.call(cmd[0]!, ...cmd.slice(1))).rejects.toThrow(`ERR '${name}' is not supported with prefix routes: the keyspace is split across clusters`);
    }
    expect(await redisCli(mesh.port, ["SCAN 0 MATCH *"])).toBe("ERR 'scan' is not supported with prefix routes: the keyspace is split across clusters\n\n");
    // Nothing was flushed anywhere.
    expect([...(await keys(a)), ...(await keys(b))]).toEqual(["order:1", "user:1"]);
    // Prefix routes into the catch-all's own cluster leave its keyspace whole: KEYS answers.
    await mesh.setRedis({ routes: [{ prefix: "user:", removePrefix: false, cluster: "a", mirrors: [] }], catchAll: { cluster: "a", mirrors: [] } });
    expect(await c.keys("*")).toEqual(["order:1"]);
  });

  it("matches prefixes in any case when caseInsensitive is set", async () => {
    await flush(a, b);
    await mesh.setRedis({ caseInsensitive: true, routes: [{ prefix: "user:", removePrefix: false, cluster: "b", mirrors: [] }], catchAll: { cluster: "a", mirrors: [] } });
    const c = mesh.client();
    await c.set("USER:1", "x");
    expect(await keys(b)).toEqual(["USER:1"]);
  });

  it("changes routes under live connections without failing a command", async () => {
    await flush(a, b);
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [] } });
    const clients = [mesh.client(), mesh.client(), mesh.client()];
    let failures = 0;
    let n = 0;
    let stop = false;
    const loops = clients.map(async (c) => {
      while (!stop) {
        const i = n++;
        await c.set(`k${i}`, String(i)).catch(() => failures++);
      }
    });
    // Commands flow before and after the change.
    await vi.waitFor(() => expect(n).toBeGreaterThan(200));
    await mesh.setRedis({ catchAll: { cluster: "b", mirrors: [] } });
    const atChange = n;
    await vi.waitFor(() => expect(n).toBeGreaterThan(atChange + 200));
    stop = true;
    await Promise.all(loops);
    expect(failures).toBe(0);
    expect((await keys(a)).length).toBeGreaterThan(0);
    expect((await keys(b)).length).toBeGreaterThan(0);
  });
});

describe("mirrors", () => {
  it("copies every write at 100% and skips reads when excludeReadCommands", async () => {
    await flush(a, m);
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [{ cluster: "m", percentage: 100, excludeReadCommands: true }] } });
    const c = mesh.client();
    for (let i = 0; i < 50; i++) await c.set(`mk${i}`, "v");
    for (let i = 0; i < 20; i++) await c.get(`mk${i}`);
    await vi.waitFor(async () => expect((await keys(m)).length).toBe(50));
    const stats = String((await command(m.host, m.port, [["INFO", "commandstats"]]))[0]);
    expect(stats).not.toMatch(/cmdstat_get:/);
  });

  it("copies about half at 50%", async () => {
    await flush(a, m);
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [{ cluster: "m", percentage: 50, excludeReadCommands: false }] } });
    const c = mesh.client();
    const p = c.pipeline();
    const sent0 = mesh.stat("cluster.m.mirror_rq_sent");
    const done0 = mesh.stat("cluster.m.mirror_rq_completed");
    for (let i = 0; i < 1000; i++) p.set(`h${i}`, "v");
    await p.exec();
    // Copies are fire and forget: wait until the mirror answered every one sent.
    await vi.waitFor(() => expect(mesh.stat("cluster.m.mirror_rq_completed") - done0).toBe(mesh.stat("cluster.m.mirror_rq_sent") - sent0));
    const mirrored = (await keys(m)).length;
    expect(mirrored).toBeGreaterThan(400);
    expect(mirrored).toBeLessThan(600);
    expect((await keys(a)).length).toBe(1000);
  });

  it("counts copies that never reached a mirror that is down as failed, not completed", async () => {
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [{ cluster: "gone", percentage: 100, excludeReadCommands: false }] } });
    const c = mesh.client();
    for (let i = 0; i < 20; i++) await c.set(`g${i}`, "v");
    await vi.waitFor(() => expect(mesh.stat("cluster.gone.mirror_rq_failed")).toBe(20));
    expect(mesh.stat("cluster.gone.mirror_rq_total")).toBe(20);
    expect(mesh.stat("cluster.gone.mirror_rq_completed")).toBe(0);
  });
});

describe("faults", () => {
  // Counted under the fault names and scope every protocol uses.
  const aborts = () => mesh.stat(`listener.${LISTENER}.fault.aborts_injected`);
  const delays = () => mesh.stat(`listener.${LISTENER}.fault.delays_injected`);

  it("fails about half the GETs with ERROR at 50% and never AUTH or other commands", async () => {
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [] }, faults: [{ type: "ERROR", percentage: 50, delayMs: 0, commands: ["get"] }] });
    const c = mesh.client();
    await c.set("f", "1");
    const aborts0 = aborts();
    const localReplies0 = mesh.stat(`listener.${LISTENER}.local_reply_fault_abort`);
    let errors = 0;
    for (let i = 0; i < 400; i++) {
      await c.get("f").catch((e: Error) => {
        expect(e.message).toMatch(/Fault injected/);
        errors++;
      });
    }
    expect(errors).toBeGreaterThan(140);
    expect(errors).toBeLessThan(260);
    for (let i = 0; i < 50; i++) expect(await c.set("f", "2")).toBe("OK");
    expect(aborts() - aborts0).toBe(errors);
    expect(mesh.stat(`listener.${LISTENER}.local_reply_fault_abort`) - localReplies0).toBe(errors);
    expect(delays()).toBe(0);
  });

  it("fails split commands (MGET) with ERROR too", async () => {
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [] }, faults: [{ type: "ERROR", percentage: 100, delayMs: 0, commands: ["mget"] }] });
    const c = mesh.client();
    const aborts0 = aborts();
    await expect(c.mget("f", "user:1")).rejects.toThrow(/Fault injected/);
    expect(aborts() - aborts0).toBe(1);
  });

  it("delays commands with DELAY and keeps reply order", async () => {
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [] }, faults: [{ type: "DELAY", percentage: 100, delayMs: 150, commands: ["get"] }] });
    const c = mesh.client();
    const delays0 = delays();
    const t0 = Date.now();
    const [g, s] = await Promise.all([c.get("f"), c.set("g", "1")]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect([g, s]).toEqual(["2", "OK"]);
    expect(delays() - delays0).toBe(1);
    const t1 = Date.now();
    expect(await c.ping()).toBe("PONG");
    expect(Date.now() - t1).toBeLessThan(100);
  });
});

describe("auth", () => {
  it("requires the client password and accepts username+password", async () => {
    await mesh.setRedis({ catchAll: { cluster: "a", mirrors: [] }, downstreamAuth: { username: "app", password: "pw" } });
    const anonymous = mesh.client({ enableReadyCheck: false });
    await expect(anonymous.get("x")).rejects.toThrow(/NOAUTH/);
    const wrong = mesh.client({ username: "app", password: "nope", enableReadyCheck: false, retryStrategy: () => null });
    await expect(wrong.get("x")).rejects.toThrow(/WRONGPASS|NOAUTH/);
    const right = mesh.client({ username: "app", password: "pw" });
    expect(await right.set("x", "1")).toBe("OK");
  });

  it("supplies the server password itself", async () => {
    await mesh.setRedis({ catchAll: { cluster: "locked", mirrors: [] } });
    const c = mesh.client();
    expect(await c.set("guarded", "1")).toBe("OK");
    expect(await c.get("guarded")).toBe("1");
  });
});

describe("failures", () => {
  it("answers in-flight commands with errors when a server dies, and recovers when it is back", async () => {
    const s = await startRedis();
    let again: RedisProcess | undefined;
    try {
      mesh.setClusters([
        { name: "a", endpoints: ep(a) },
        { name: "b", endpoints: ep(b) },
        { name: "m", endpoints: ep(m) },
        { name: "locked", endpoints: ep(locked), redis: { mode: "proxy", auth: { password: "s3cret" } } },
        { name: "doomed", endpoints: ep(s) },
      ]);
      await mesh.setRedis({ catchAll: { cluster: "doomed", mirrors: [] } });
      const c = mesh.client();
      await c.del("bq");
      const blocked = c.blpop("bq", 10).catch((e: Error) => e);
      await vi.waitFor(async () => expect(String((await command(s.host, s.port, [["INFO", "clients"]]))[0])).toMatch(/blocked_clients:1\b/));
      await s.stop("SIGKILL");
      expect(String(await blocked)).toMatch(/ERR upstream connection closed/);
      await expect(c.get("x")).rejects.toThrow(/ERR cannot connect|ERR upstream/);
      again = await startRedis({ port: s.port });
      expect(await c.set("back", "1")).toBe("OK");
    } finally {
      await s.stop();
      await again?.stop();
    }
  });
});
