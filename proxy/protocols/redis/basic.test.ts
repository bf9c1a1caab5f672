/** The Redis path against one real redis-server: commands, pipelining, RESP3, inline, errors. */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { command, startRedis, type RedisProcess } from "../../../fixtures/redis/redis-server.ts";
import { startRedisMesh, type RedisMesh } from "./testing/redis-mesh.ts";

let server: RedisProcess;

/** Clients the server holds in a blocking command (BLPOP ...), from INFO clients. */
async function blockedClients(p: RedisProcess): Promise<number> {
  const [info] = await command(p.host, p.port, [["INFO", "clients"]]);
  return Number(/blocked_clients:(\d+)/.exec(String(info))?.[1] ?? 0);
}
let mesh: RedisMesh;

beforeAll(async () => {
  server = await startRedis();
  mesh = await startRedisMesh([{ name: "single", endpoints: [{ host: server.host, port: server.port }] }], { catchAll: { cluster: "single", mirrors: [] } });
});

afterAll(async () => {
  await mesh?.close();
  await server?.stop();
});

/** Raw bytes in, raw bytes out: for what clients hide (inline commands, exact replies). */
function raw(port: number, input: string, until: number | ((out: string) => boolean)): Promise<string> {
  const done = typeof until === "number" ? (out: string) => out.length >= until : until;
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port });
    let out = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(out)}`));
    }, 3000);
    s.on("data", (d) => {
      out += d.toString();
      if (done(out)) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
    s.on("error", reject);
    s.write(input);
  });
}

describe("redis proxy, single server", () => {
  it("serves GET/SET/INCR/hashes/lists through ioredis", async () => {
    const c = mesh.client();
    expect(await c.set("a", "1")).toBe("OK");
    expect(await c.get("a")).toBe("1");
    expect(await c.incr("a")).toBe(2);
    await c.hset("h", "f", "v");
    expect(await c.hgetall("h")).toEqual({ f: "v" });
    await c.rpush("l", "x", "y");
    expect(await c.lrange("l", 0, -1)).toEqual(["x", "y"]);
    expect(await c.mget("a", "missing", "h2")).toEqual(["2", null, null]);
    expect(await c.del("a", "h", "l")).toBe(3);
  });

  it("keeps replies in request order under pipelining", async () => {
    const c = mesh.client();
    const p = c.pipeline();
    for (let i = 0; i < 500; i++) p.set(`k${i}`, String(i));
    for (let i = 0; i < 500; i++) p.get(`k${i}`);
    const results = await p.exec();
    expect(results!.slice(500).map(([, v]) => v)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });

  it("answers PING, ECHO, QUIT and inline commands like a server", async () => {
    expect(await raw(mesh.port, "PING\r\n", 7)).toBe("+PONG\r\n");
    expect(await raw(mesh.port, "*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", 8)).toBe("$2\r\nhi\r\n");
    expect(await raw(mesh.port, "SET inl 42\r\nGET inl\r\n", 13)).toBe("+OK\r\n$2\r\n42\r\n");
    expect(await raw(mesh.port, "ECHO hello\r\nQUIT\r\n", 16)).toBe("$5\r\nhello\r\n+OK\r\n");
  });

  it("refuses unknown and unsupported commands with -ERR and keeps the connection", async () => {
    const c = mesh.client();
    await expect(c.call("NOSUCHCMD", "x")).rejects.toThrow(/ERR unknown command 'nosuchcmd'/);
    await expect(c.call("SUBSCRIBE", "ch")).rejects.toThrow(/ERR unsupported command 'subscribe'/);
    await expect(c.call("GET")).rejects.toThrow(/wrong number of arguments/);
    expect(await c.ping()).toBe("PONG");
  });

  it("speaks RESP3 after HELLO 3", async () => {
    const out = await raw(mesh.port, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$7\r\nHGETALL\r\n$2\r\nh3\r\n", (o) => o.endsWith("%0\r\n"));
    expect(out.startsWith("%7\r\n")).toBe(true);
    expect(out).toContain("$5\r\nproto\r\n:3\r\n");
    // An empty hash in RESP3 is an empty map.
    expect(out.endsWith("%0\r\n")).toBe(true);
  });

  it("runs MULTI/EXEC on a pinned connection and reuses it", async () => {
    const c = mesh.client();
    const before = mesh.stat("redis.redis.default.svc.cluster.local_6379.pinned_connections_opened");
    for (let i = 0; i < 5; i++) {
      const r = await c.multi().set("tx", String(i)).incr("tx").exec();
      expect(r).toEqual([
        [null, "OK"],
        [null, i + 1],
      ]);
    }
    const opened = mesh.stat("redis.redis.default.svc.cluster.local_6379.pinned_connections_opened") - before;
    expect(opened).toBeLessThanOrEqual(1);
  });

  it("WATCH aborts EXEC when the key changes elsewhere", async () => {
    const a = mesh.client();
    const b = mesh.client();
    await a.set("w", "1");
    await a.watch("w");
    await b.set("w", "2");
    const r = await a.multi().set("w", "3").exec();
    expect(r).toBeNull();
    expect(await b.get("w")).toBe("2");
  });

  it("pins blocking commands so other clients keep going", async () => {
    const a = mesh.client();
    const b = mesh.client();
    await a.del("q");
    const popped = a.blpop("q", 5);
    await vi.waitFor(async () => expect(await blockedClients(server)).toBe(1));
    expect(await b.ping()).toBe("PONG");
    await b.rpush("q", "item");
    expect(await popped).toEqual(["q", "item"]);
  });

  it("counts commands when command stats are on", () => {
    expect(mesh.stat("redis.redis.default.svc.cluster.local_6379.command.get.total")).toBeGreaterThan(0);
    expect(mesh.stat("redis.redis.default.svc.cluster.local_6379.command.get.success")).toBeGreaterThan(0);
  });
});

describe("one proxy's Redis state", () => {
  const single = () => [{ name: "single", endpoints: [{ host: server.host, port: server.port }] }];
  /** Connections the server holds, less the one asking. */
  const connected = async () => Number(/connected_clients:(\d+)/.exec(String((await command(server.host, server.port, [["INFO", "clients"]]))[0]))?.[1]) - 1;

  it("closing a proxy closes its upstream connections and leaves another proxy's open", async () => {
    const keeps = await startRedisMesh(single(), { catchAll: { cluster: "single", mirrors: [] } });
    let closing: RedisMesh | undefined = await startRedisMesh(single(), { catchAll: { cluster: "single", mirrors: [] } });
    try {
      expect(await keeps.client().set("owner", "keeps")).toBe("OK");
      const opened = keeps.stat("cluster.single.upstream_cx_total");
      const withoutClosing = await connected();
      expect(await closing.client().get("owner")).toBe("keeps");
      expect(await connected()).toBeGreaterThan(withoutClosing);
      await closing.close();
      closing = undefined;
      await vi.waitFor(async () => expect(await connected()).toBe(withoutClosing), { timeout: 5000 });
      expect(await keeps.client().get("owner")).toBe("keeps");
      expect(keeps.stat("cluster.single.upstream_cx_total")).toBe(opened);
    } finally {
      await closing?.close();
      await keeps.close();
    }
  });
});
