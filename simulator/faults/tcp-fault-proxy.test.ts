/** The TCP fault proxy against a real echo server on port 0: each fault, switched on and off. */
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "./tcp-fault-proxy.ts";
import { prng } from "../../proxy/codec/fuzz.ts";

let echo: Server;
let echoPort: number;
const echoSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on("close", () => echoSockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of echoSockets) s.destroy();
  await new Promise((r) => echo.close(r));
});

/** Sends `payload`, resolves with what came back (or how the connection ended) and the chunks seen. */
function roundTrip(port: number, payload: Buffer, waitMs = 2000): Promise<{ data: Buffer; chunks: number; ms: number; ended: "complete" | "reset" | "closed" | "timeout" }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const parts: Buffer[] = [];
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ended: "complete" | "reset" | "closed" | "timeout") => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), chunks: parts.length, ms: performance.now() - start, ended });
    };
    const timer = setTimeout(() => done("timeout"), waitMs);
    socket.on("data", (d: Buffer) => {
      parts.push(d);
      if (Buffer.concat(parts).length >= payload.length) done("complete");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNRESET" ? "reset" : "closed"));
    socket.on("close", () => done("closed"));
    socket.write(payload);
  });
}

describe("tcp fault proxy", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ host: "127.0.0.1", port: echoPort }, { random: prng(7) });
  });
  afterAll(() => proxy.close());

  it("forwards cleanly by default and after clear", async () => {
    const r = await roundTrip(proxy.port, Buffer.from("hello"));
    expect(r).toMatchObject({ ended: "complete" });
    expect(r.data.toString()).toBe("hello");
    // A delay far above what a loaded machine adds to a loopback round trip: once cleared, it is gone.
    proxy.setFault({ latency: { delayMs: 1000, jitterMs: 0, probability: 1 } });
    proxy.setFault(null);
    expect((await roundTrip(proxy.port, Buffer.from("again"))).ms).toBeLessThan(500);
  });

  it("adds latency with jitter in each direction, keeping byte order", async () => {
    proxy.setFault({ latency: { delayMs: 60, jitterMs: 10, probability: 1 } });
    const r = await roundTrip(proxy.port, Buffer.from("0123456789"));
    proxy.setFault(null);
    expect(r.data.toString()).toBe("0123456789");
    expect(r.ms).toBeGreaterThanOrEqual(100); // 2 x (60 - 10)
    expect(r.ms).toBeLessThan(400);
  });

  it("slices chunks into pieces of at most N bytes", async () => {
    proxy.setFault({ slice: { bytes: 4, delayMs: 5, probability: 1 } });
    const payload = Buffer.from("abcdefghijklmnopqrstuvwxyz");
    const r = await roundTrip(proxy.port, payload);
    proxy.setFault(null);
    expect(r.data.toString()).toBe(payload.toString());
    // 7 pieces of at most 4 bytes; the receiving kernel may merge pieces that arrive together on
    // a busy machine, so the client sees more than one chunk but not always 7. (The echo comes
    // back in pieces already, so only the request's chunk is sliced.)
    expect(proxy.stats.slicedChunks).toBeGreaterThanOrEqual(1);
    expect(r.chunks).toBeGreaterThan(1);
  });

  it("caps bandwidth", async () => {
    proxy.setFault({ bandwidth: { bytesPerSecond: 20_000, probability: 1 } });
    const r = await roundTrip(proxy.port, Buffer.alloc(4000, 1), 3000);
    proxy.setFault(null);
    expect(r.ended).toBe("complete");
    expect(r.ms).toBeGreaterThanOrEqual(195); // 4000 B at 20 kB/s take 200 ms one way; the way back overlaps
  });

  it("resets a connection, and never with probability 0", async () => {
    proxy.setFault({ reset: { probability: 0 } });
    expect((await roundTrip(proxy.port, Buffer.from("x"))).ended).toBe("complete");
    proxy.setFault({ reset: { probability: 1 } });
    expect((await roundTrip(proxy.port, Buffer.from("x"))).ended).toBe("reset");
    proxy.setFault(null);
  });

  it("blackholes: the connection stays open and nothing comes back", async () => {
    proxy.setFault({ blackhole: { probability: 1 } });
    const r = await roundTrip(proxy.port, Buffer.from("x"), 300);
    proxy.setFault(null);
    expect(r).toMatchObject({ ended: "timeout", chunks: 0 });
  });

  it("applies a fault to connections already open", async () => {
    const socket = connect({ host: "127.0.0.1", port: proxy.port });
    await new Promise((r) => socket.once("connect", r));
    const echoOnce = (text: string) =>
      new Promise<number>((resolve) => {
        const t = performance.now();
        socket.once("data", () => resolve(performance.now() - t));
        socket.write(text);
      });
    expect(await echoOnce("a")).toBeLessThan(40);
    proxy.setFault({ latency: { delayMs: 80, jitterMs: 0, probability: 1 } });
    expect(await echoOnce("b")).toBeGreaterThanOrEqual(150);
    proxy.setFault(null);
    socket.destroy();
  });

  it("passes a refused upstream on as a closed connection", async () => {
    const dead = await startFaultProxy({ host: "127.0.0.1", port: 1 });
    const r = await roundTrip(dead.port, Buffer.from("x"));
    await dead.close();
    expect(["reset", "closed"]).toContain(r.ended);
  });
});
