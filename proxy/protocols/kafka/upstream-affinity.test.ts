/**
 * Kafka listeners give each client connection broker connections of its own (the codec's
 * `upstreamAffinity: "per-downstream"`): a broker answers one request at a time per connection,
 * so on a shared upstream connection one client's slow request would hold up every other
 * client's. Checked against a stand-in broker that, like Kafka, serves a connection's requests
 * one after another: a fast client is not held up by a slow one, the broker connection closes
 * with its client connection, and max_connections still bounds the count (clients then share).
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { CodecFactory } from "../../codec/codec.ts";
import type { ClusterConfig } from "../../config/types.ts";
import { Proxy } from "../../proxy.ts";
import { createDubboCodec } from "../dubbo/index.ts";
import { createThriftCodec } from "../thrift/index.ts";
import { createKafkaCodec } from "./index.ts";

const SLOW_MS = 400;

/** ApiVersions v0 request: header v1 (client id), empty body. */
function apiVersionsRequest(correlationId: number, clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + id.length);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(18, 4);
  frame.writeInt16BE(0, 6);
  frame.writeInt32BE(correlationId, 8);
  frame.writeInt16BE(id.length, 12);
  id.copy(frame, 14);
  return frame;
}

/** A broker stand-in: one request at a time per connection, answers for client id "slow" after SLOW_MS. */
async function startBroker(): Promise<{ server: Server; port: number; open: () => number; accepted: () => number; received: () => number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let received = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let pending = Buffer.alloc(0);
    let busy = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        received++;
        const correlationId = frame.readInt32BE(8);
        const slow = frame.subarray(14, 14 + frame.readInt16BE(12)).toString() === "slow";
        busy = busy.then(async () => {
          if (slow) await new Promise((r) => setTimeout(r, SLOW_MS));
          // ApiVersions v0 response: error_code 0, no api keys.
          const response = Buffer.alloc(4 + 4 + 2 + 4);
          response.writeInt32BE(response.length - 4, 0);
          response.writeInt32BE(correlationId, 4);
          if (!socket.destroyed) socket.write(response);
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port, open: () => sockets.size, accepted: () => accepted, received: () => received };
}

async function client(port: number): Promise<{ socket: Socket; request(correlationId: number, clientId: string): Promise<number> }> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const waiting = new Map<number, () => void>();
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const id = pending.readInt32BE(4);
      pending = pending.subarray(4 + pending.readInt32BE(0));
      waiting.get(id)?.();
    }
  });
  return {
    socket,
    request(correlationId, clientId) {
      const started = performance.now();
      return new Promise((resolve) => {
        waiting.set(correlationId, () => resolve(performance.now() - started));
        socket.write(apiVersionsRequest(correlationId, clientId));
      });
    },
  };
}

const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
};

describe("kafka upstream connections per client connection", () => {
  let proxy: Proxy | undefined;
  let broker: Awaited<ReturnType<typeof startBroker>> | undefined;

  afterEach(async () => {
    await proxy?.close();
    await new Promise((r) => (broker ? broker.server.close(() => r(undefined)) : r(undefined)));
    proxy = undefined;
    broker = undefined;
  });

  async function mesh(cluster: Partial<ClusterConfig> = {}): Promise<number> {
    broker = await startBroker();
    proxy = new Proxy();
    proxy.setClusters([{ name: "broker", lbPolicy: "round_robin", connectTimeoutMs: 500, connectionsPerEndpoint: 1, ...cluster }]);
    proxy.setEndpoints([{ clusterName: "broker", endpoints: [{ host: "127.0.0.1", port: broker.port }] }]);
    proxy.setRoutes([{ name: "r", routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "broker" } }] }]);
    await proxy.setListeners([{ name: "kafka", address: { host: "127.0.0.1", port: 0 }, codec: "kafka", routeConfigName: "r", statPrefix: "kafka" }]);
    return proxy.listeners.addresses().kafka!.port;
  }

  it("the codec asks for it; other codecs keep sharing", () => {
    expect(createKafkaCodec().upstreamAffinity).toBe("per-downstream");
    const shared: CodecFactory[] = [createThriftCodec, createDubboCodec];
    for (const factory of shared) expect(factory().upstreamAffinity).toBeUndefined();
  });

  it("a fast client is not held up behind a slow one, and each client's broker connection closes with it", async () => {
    const port = await mesh();
    const slow = await client(port);
    const fast = await client(port);
    const slowDone = slow.request(1, "slow");
    expect(await until(() => broker!.received() === 1)).toBe(true); // the slow request is at the broker first
    const fastMs = await fast.request(1, "fast");
    expect(fastMs).toBeLessThan(SLOW_MS / 2);
    expect(await slowDone).toBeGreaterThanOrEqual(SLOW_MS - 5);
    expect(broker!.accepted()).toBe(2);
    expect(proxy!.stats.get("cluster.broker.upstream_cx_active")).toBe(2);
    // Later requests reuse the client's own connection.
    await fast.request(2, "fast");
    expect(broker!.accepted()).toBe(2);
    fast.socket.destroy();
    expect(await until(() => broker!.open() === 1)).toBe(true);
    expect(proxy!.stats.get("cluster.broker.upstream_cx_active")).toBe(1);
    slow.socket.destroy();
    expect(await until(() => broker!.open() === 0)).toBe(true);
  });

  it("a client closing with a request in flight: its broker connection closes once the answer is in", async () => {
    const port = await mesh();
    const slow = await client(port);
    void slow.request(1, "slow");
    expect(await until(() => broker!.open() === 1)).toBe(true);
    slow.socket.destroy();
    await new Promise((r) => setTimeout(r, SLOW_MS / 2));
    expect(broker!.open()).toBe(1); // drained, not cut: the request in flight is still answered
    expect(await until(() => broker!.open() === 0, SLOW_MS * 3)).toBe(true);
    expect(proxy!.stats.get("cluster.broker.upstream_rq_active")).toBe(0);
  });

  it("max_connections still bounds broker connections: past it, clients share", async () => {
    const port = await mesh({ circuitBreakers: { maxConnections: 1 } });
    const slow = await client(port);
    const fast = await client(port);
    const slowDone = slow.request(1, "slow");
    expect(await until(() => broker!.received() === 1)).toBe(true); // the slow request is at the broker first
    const fastMs = await fast.request(1, "fast");
    await slowDone;
    expect(broker!.accepted()).toBe(1);
    // Shared with the slow client, the fast one waited its turn at the broker.
    expect(fastMs).toBeGreaterThanOrEqual(SLOW_MS / 2);
    expect(proxy!.stats.get("cluster.broker.upstream_cx_overflow")).toBe(0);
    slow.socket.destroy();
    fast.socket.destroy();
  });
});
