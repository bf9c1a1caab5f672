/**
 * Access log lines from real clients through a real proxy: the Thrift (generic) path and the
 * Redis path, each field checked against what the request did.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startThriftMesh, tally, type ThriftMesh } from "../testing/thrift-mesh.ts";
import { startRedis, type RedisProcess } from "../../fixtures/redis/redis-server.ts";
import { startRedisMesh, type RedisMesh } from "../protocols/redis/testing/redis-mesh.ts";
import type { AccessLogEntry } from "./access-log-entry.ts";

const dir = mkdtempSync(join(tmpdir(), "meshsim-access-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(path: string): AccessLogEntry[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AccessLogEntry);
}

/** The lines once `n` have been written (the file is appended through a stream). */
async function waitForLines(path: string, n: number): Promise<AccessLogEntry[]> {
  await vi.waitFor(() => expect(lines(path).length).toBeGreaterThanOrEqual(n), { timeout: 3000 });
  return lines(path);
}

describe("access log on the MetaProtocol path (Thrift)", () => {
  let mesh: ThriftMesh;
  const path = join(dir, "thrift.log");
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1, v2: 1 });
  });
  afterAll(() => mesh.close());

  it("writes nothing while the listener has no access log", async () => {
    const c = mesh.client();
    await c.sayHello("quiet");
    // A second listener update turns logging on: the earlier request must not show up.
    await mesh.setListener({ accessLog: { path } });
    await c.sayHello("logged");
    const got = await waitForLines(path, 1);
    expect(got.map((l) => l.metadata.method)).toEqual(["sayHello"]);
    expect(got[0]!.bytesIn).toBeGreaterThan(0);
  });

  it("names the route, cluster, upstream host and the response", async () => {
    mesh.setRoutes([{ name: "to-v2", match: [{ name: "method", kind: "exact", value: "sayHello" }], action: { kind: "cluster", cluster: "v2" } }]);
    const before = lines(path).length;
    const t0 = Date.now();
    await mesh.client().sayHello("x");
    const line = (await waitForLines(path, before + 1))[before]!;
    expect(line).toMatchObject({
      protocol: "thrift",
      route: "to-v2",
      cluster: "v2",
      upstreamHost: `127.0.0.1:${mesh.servers.v2![0]!.port}`,
      outcome: "response",
      responseKind: "response",
      retries: 0,
      fault: null,
      mirrored: false,
    });
    expect(Date.parse(line.startTime)).toBeGreaterThanOrEqual(t0 - 5);
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.bytesOut).toBeGreaterThan(0);
  });

  it("records an injected abort as a local reply with the fault, and a mirrored request", async () => {
    mesh.setRoutes([{ name: "abort", match: [], action: { kind: "cluster", cluster: "v1" }, fault: { abort: { percentage: 100, errorKind: "fault_abort" } } }]);
    const before = lines(path).length;
    await tally([mesh.client().sayHello("x")]);
    mesh.setRoutes([{ name: "copy", match: [], action: { kind: "cluster", cluster: "v1" }, mirror: { cluster: "v2", percentage: 100 } }]);
    await mesh.client().sayHello("y");
    const [aborted, mirrored] = (await waitForLines(path, before + 2)).slice(before);
    expect(aborted).toMatchObject({ route: "abort", outcome: "local-reply", localReply: "fault_abort", fault: "abort", upstreamHost: null });
    expect(mirrored).toMatchObject({ route: "copy", cluster: "v1", outcome: "response", mirrored: true });
  });

  it("counts retries and names the endpoint that answered", async () => {
    const good = mesh.servers.v1![0]!.port;
    mesh.setCluster("refused-first", { lbPolicy: "round_robin" }, [
      { host: "127.0.0.1", port: 1 },
      { host: "127.0.0.1", port: good },
    ]);
    mesh.setRoutes([{ name: "retrying", match: [], action: { kind: "cluster", cluster: "refused-first" }, retries: { attempts: 2, retryOn: ["connect-failure"] } }]);
    const before = lines(path).length;
    const c = mesh.client();
    await tally(Array.from({ length: 4 }, () => c.sayHello("r")));
    const got = (await waitForLines(path, before + 4)).slice(before);
    expect(got.every((l) => l.outcome === "response" && l.upstreamHost === `127.0.0.1:${good}`)).toBe(true);
    expect(got.some((l) => l.retries > 0)).toBe(true);
  });

  it("records a request no route matches", async () => {
    mesh.setRoutes([{ name: "only-other", match: [{ name: "method", kind: "exact", value: "other" }], action: { kind: "cluster", cluster: "v1" } }]);
    const before = lines(path).length;
    await tally([mesh.client().sayHello("x")]);
    const [line] = (await waitForLines(path, before + 1)).slice(before);
    expect(line).toMatchObject({ route: null, cluster: null, outcome: "local-reply", localReply: "no_route" });
  });
});

describe("access log on the Redis path", () => {
  let server: RedisProcess;
  let mesh: RedisMesh;
  const path = join(dir, "redis.log");
  beforeAll(async () => {
    server = await startRedis();
    mesh = await startRedisMesh([{ name: "single", endpoints: [{ host: server.host, port: server.port }] }], { catchAll: { cluster: "single", mirrors: [] } });
  });
  afterAll(async () => {
    await mesh.close();
    await server.stop();
  });

  it("logs each command with its key, route, upstream and reply kind", async () => {
    await mesh.proxy.setListeners([{ ...mesh.proxy.listeners.dump()[0]!, address: { host: "127.0.0.1", port: mesh.port }, accessLog: { path } }]);
    const c = mesh.client();
    await c.set("user:1", "ada");
    await expect(c.lpush("user:1", "x")).rejects.toThrow(/WRONGTYPE/);
    await c.ping();
    // ioredis opens with commands of its own (HELLO, INFO): pick the test's by name.
    await vi.waitFor(() => expect(lines(path).filter((l) => l.metadata.command === "ping")).toHaveLength(1), { timeout: 3000 });
    const byCommand = (c: string) => lines(path).find((l) => l.metadata.command === c);
    const [set, wrongType, ping] = [byCommand("set"), byCommand("lpush"), byCommand("ping")];
    expect(set).toMatchObject({
      protocol: "redis",
      metadata: { command: "set", key: "user:1" },
      route: "catch_all",
      cluster: "single",
      upstreamHost: `${server.host}:${server.port}`,
      outcome: "response",
      responseKind: "response",
    });
    expect(wrongType).toMatchObject({ metadata: { command: "lpush", key: "user:1" }, outcome: "response", responseKind: "error" });
    expect(ping).toMatchObject({ metadata: { command: "ping" }, outcome: "local-reply", localReply: "answered", cluster: null });
    expect(set!.bytesIn).toBe("*3\r\n$3\r\nset\r\n$6\r\nuser:1\r\n$3\r\nada\r\n".length);
    expect(set!.bytesOut).toBe("+OK\r\n".length);
  });

  it("records an injected error as a fault and a local reply", async () => {
    await mesh.setRedis({ catchAll: { cluster: "single", mirrors: [] }, faults: [{ type: "ERROR", percentage: 100, delayMs: 0, commands: ["get"] }] });
    await mesh.proxy.setListeners([{ ...mesh.proxy.listeners.dump()[0]!, address: { host: "127.0.0.1", port: mesh.port }, accessLog: { path } }]);
    await expect(mesh.client().get("user:1")).rejects.toThrow(/Fault injected/);
    await vi.waitFor(() => expect(lines(path).filter((l) => l.metadata.command === "get")).toHaveLength(1), { timeout: 3000 });
    const line = lines(path).find((l) => l.metadata.command === "get");
    expect(line).toMatchObject({ metadata: { command: "get", key: "user:1" }, cluster: "single", outcome: "local-reply", localReply: "fault_abort", fault: "abort" });
  });
});
