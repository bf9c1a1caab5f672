/** The gRPC transport of the xDS server, seen from grpc-js clients and from raw HTTP/2 and TCP peers. */
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BufferPool } from "../../common/grpc/messages.ts";
import { grpcTimeoutMs, startGrpcStreamServer, type CallHandlers, type GrpcStreamServer, type MethodHandler, type ServerCall } from "./grpc-stream-server.ts";

const ECHO = "/test.Echo/Stream";
const FAILING = "/test.Echo/Failing";
const identity = (b: Buffer) => b;

/** One gRPC message on the wire: its compressed flag, its length, the bytes. */
function frame(m: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(m.length, 1);
  return Buffer.concat([prefix, m]);
}

/** Runs `fn` with a raw HTTP/2 connection to the server, destroyed afterwards however `fn` ends. */
async function withSession(port: number, fn: (session: http2.ClientHttp2Session) => Promise<void>): Promise<void> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await fn(session);
  } finally {
    session.destroy();
  }
}

/** A raw HTTP/2 call: what a peer gRPC libraries would not let a test send. */
function rawCall(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}) {
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", ...headers });
  const data: Buffer[] = [];
  stream.on("data", (b: Buffer) => data.push(b));
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no trailers within 3 s")), 3000);
    stream.once("trailers", (t) => {
      clearTimeout(timer);
      resolve(t);
    });
  });
  return { stream, trailers, received: () => Buffer.concat(data) };
}

let server: GrpcStreamServer | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await server?.close();
  server = undefined;
});

/** Answers each message with two parts: "echo:" and the message; records how calls end. */
function echo(events: string[]): MethodHandler {
  return (call: ServerCall): CallHandlers => ({
    // The request buffer is reused once this returns: the reply gets a copy.
    message: (bytes) => void call.write([Buffer.from("echo:"), Buffer.from(bytes)]),
    halfClosed: () => call.end(),
    drained: () => events.push("drained"),
    closed: () => events.push("closed"),
  });
}

async function start(events: string[] = [], extra: Partial<Parameters<typeof startGrpcStreamServer>[0]> = {}): Promise<GrpcStreamServer> {
  server = await startGrpcStreamServer({
    host: "127.0.0.1",
    port: 0,
    methods: {
      [ECHO]: echo(events),
      [FAILING]: () => ({
        message: () => {
          throw new Error("not a request this method understands");
        },
        halfClosed: () => undefined,
        drained: () => undefined,
        closed: () => events.push("closed"),
      }),
    },
    ...extra,
  });
  return server;
}

function client(port: number, options: grpc.ChannelOptions = {}): grpc.Client {
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  clients.push(c);
  return c;
}

/** Opens a bidi call, writes `messages`, and collects replies until the call ends. */
function exchange(c: grpc.Client, path: string, messages: Buffer[], halfClose = true): Promise<{ replies: string[]; code: number; details: string }> {
  return new Promise((resolve) => {
    const call = c.makeBidiStreamRequest(path, identity, identity);
    const replies: string[] = [];
    call.on("data", (b: Buffer) => replies.push(b.toString()));
    call.on("error", (err: grpc.ServiceError) => resolve({ replies, code: err.code, details: err.details }));
    call.on("status", (s: grpc.StatusObject) => s.code === grpc.status.OK && resolve({ replies, code: s.code, details: s.details }));
    for (const m of messages) call.write(m);
    if (halfClose) call.end();
  });
}

describe("gRPC stream server", () => {
  it("sends a message's parts as one message and ends with OK when the client half-closes", async () => {
    const events: string[] = [];
    const { port } = await start(events);
    const result = await exchange(client(port), ECHO, [Buffer.from("a"), Buffer.alloc(0), Buffer.from("x".repeat(200_000))]);
    expect(result).toMatchObject({ code: grpc.status.OK });
    expect(result.replies).toEqual(["echo:a", "echo:", `echo:${"x".repeat(200_000)}`]);
    await expect.poll(() => events).toContain("closed");
  });

  it("decompresses gzip requests", async () => {
    const { port } = await start();
    const c = client(port, { "grpc.default_compression_algorithm": grpc.compressionAlgorithms.gzip });
    const result = await exchange(c, ECHO, [Buffer.from("y".repeat(5000))]);
    expect(result.replies).toEqual([`echo:${"y".repeat(5000)}`]);
  });

  it("answers an unknown method UNIMPLEMENTED and a request it cannot read INVALID_ARGUMENT, naming why", async () => {
    const events: string[] = [];
    const { port } = await start(events);
    const c = client(port);
    expect(await exchange(c, "/test.Echo/Nope", [Buffer.from("a")])).toMatchObject({ code: grpc.status.UNIMPLEMENTED, details: "unknown method /test.Echo/Nope" });
    const failed = await exchange(c, FAILING, [Buffer.from("a")], false);
    expect(failed).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "not a request this method understands" });
    await expect.poll(() => events).toContain("closed");
    // The connection serves other calls as before.
    expect((await exchange(c, ECHO, [Buffer.from("b")])).replies).toEqual(["echo:b"]);
  });

  it("ends a call whose message is larger than allowed RESOURCE_EXHAUSTED, and only that call", async () => {
    const { port } = await start([], { maxMessageBytes: 1000 });
    const c = client(port);
    const big = await exchange(c, ECHO, [Buffer.alloc(1001)], false);
    expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(big.details).toContain("1001 bytes is larger than the 1000 bytes accepted");
    expect((await exchange(c, ECHO, [Buffer.alloc(1000, 97)])).replies).toEqual([`echo:${"a".repeat(1000)}`]);
  });

  it("serves a hundred and fifty calls on one connection, each sending and receiving hundreds of kilobytes", async () => {
    const { port } = await start();
    const c = client(port, { "grpc.max_receive_message_length": -1, "grpc-node.flow_control_window": 256 * 1024 * 1024 });
    // What simulated sidecars do: four requests per call at once (ACKs repeat thousands of names).
    const requests = [Buffer.alloc(72, 1), Buffer.alloc(150_000, 2), Buffer.alloc(72, 3), Buffer.alloc(40_000, 4)];
    const calls = Array.from(
      { length: 150 },
      () =>
        new Promise<number>((resolve, reject) => {
          const call = c.makeBidiStreamRequest(ECHO, identity, identity);
          let replies = 0;
          call.on("data", () => {
            if (++replies === requests.length) {
              call.end();
              resolve(replies);
            }
          });
          call.on("error", reject);
          for (const r of requests) call.write(r);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("not every call got its replies within 10 s")), 10_000);
    });
    try {
      expect(await Promise.race([Promise.all(calls), deadline])).toEqual(Array(150).fill(4));
    } finally {
      clearTimeout(timer);
    }
  }, 15_000);

  it("holds senders back past its inbound budget, and every call still completes", async () => {
    const { port } = await start([], { inboundBudgetBytes: 100_000 });
    const c = client(port, { "grpc.max_receive_message_length": -1 });
    // Twenty calls each send a 300 kB message at once, interleaved on one connection: assembled
    // together they would hold 6 MB; within the budget, one at a time.
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(c, ECHO, [Buffer.alloc(300_000, i)])));
    expect(replies.map((r) => r.replies[0]?.length)).toEqual(Array(20).fill(300_005));
    expect(server!.peakInboundBytes()).toBeLessThanOrEqual(300_000);
    expect(server!.peakInboundBytes()).toBeGreaterThan(0);
  });

  it("gives a failed call's share of the inbound budget back at once", async () => {
    const { port } = await start([], { inboundBudgetBytes: 64 * 1024 });
    await withSession(port, async (session) => {
      // A message the method refuses, and in the same write the start of a 60 KiB one.
      const failing = rawCall(session, FAILING);
      failing.stream.write(Buffer.concat([frame(Buffer.from("bad")), frame(Buffer.alloc(60 * 1024)).subarray(0, 10_000)]));
      expect((await failing.trailers)["grpc-status"]).toBe("3");
      // Another call's 30 KiB message fits only once the failed call's 60 KiB are given back.
      const echo = rawCall(session, ECHO);
      echo.stream.end(frame(Buffer.alloc(30 * 1024, 1)));
      expect((await echo.trailers)["grpc-status"]).toBe("0");
      expect(echo.received().length).toBe(5 + 5 + 30 * 1024);
    });
  });

  it("answers INTERNAL to broken framing: a stream ending inside a message, a compressed flag without an encoding", async () => {
    const { port } = await start();
    await withSession(port, async (session) => {
      const cut = rawCall(session, ECHO);
      cut.stream.end(frame(Buffer.alloc(100)).subarray(0, 50));
      expect(await cut.trailers).toMatchObject({ "grpc-status": "13", "grpc-message": "the client's stream ended inside a message" });
      const flagged = rawCall(session, ECHO);
      flagged.stream.end(frame(Buffer.from("x"), true));
      expect(await flagged.trailers).toMatchObject({ "grpc-status": "13" });
    });
  });

  it("takes a grpc-timeout longer than a timer can wait as no deadline", async () => {
    const { port } = await start();
    await withSession(port, async (session) => {
      // 30 days, as grpc-go writes it: past setTimeout's limit, which would fire at once.
      const long = rawCall(session, ECHO, { "grpc-timeout": "2592000S" });
      long.stream.write(frame(Buffer.from("hi")));
      await expect.poll(() => long.received().length).toBe(5 + 7);
      long.stream.end();
      expect((await long.trailers)["grpc-status"]).toBe("0");
    });
  });

  it("answers a request that is not gRPC with HTTP 415, and honours grpc-timeout", async () => {
    const { port } = await start();
    await withSession(port, async (session) => {
      const plain = session.request({ ":method": "POST", ":path": ECHO, "content-type": "text/plain" });
      plain.end();
      const [status] = await Promise.all([new Promise((r) => plain.once("response", (h) => r(h[":status"]))), new Promise((r) => plain.once("close", r))]);
      expect(status).toBe(415);
      plain.resume();

      const started = Date.now();
      const timed = session.request({ ":method": "POST", ":path": ECHO, "content-type": "application/grpc", "grpc-timeout": "150m" });
      timed.resume();
      const trailers = await new Promise<http2.IncomingHttpHeaders>((r) => timed.once("trailers", r));
      expect(trailers["grpc-status"]).toBe("4");
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it("closes a connection whose peer stops answering pings", async () => {
    const { port } = await start([], { keepaliveMs: 100, keepaliveTimeoutMs: 100 });
    // A peer that speaks the HTTP/2 preface and SETTINGS, then never answers anything.
    const socket = connect(port, "127.0.0.1");
    socket.on("data", () => undefined);
    socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the silent peer's connection was not closed within 3 s")), 3000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("ends open calls UNAVAILABLE when it closes", async () => {
    const events: string[] = [];
    const { port } = await start(events);
    const call = client(port).makeBidiStreamRequest(ECHO, identity, identity);
    const ended = new Promise<grpc.ServiceError>((r) => call.on("error", r));
    const firstReply = new Promise<string>((r) => call.once("data", (b: Buffer) => r(b.toString())));
    call.write(Buffer.from("a"));
    expect(await firstReply).toBe("echo:a");
    await server!.close();
    server = undefined;
    const err = await ended;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toBe("the control plane is shutting down");
    await expect.poll(() => events).toEqual(["closed"]);
  });
});

describe("BufferPool", () => {
  it("hands out exact lengths, reuses given buffers of the same size class, and keeps no more than its cap", () => {
    const pool = new BufferPool(8192);
    const a = pool.take(5000);
    expect(a.length).toBe(5000);
    expect(a.buffer.byteLength).toBe(8192);
    pool.give(a);
    const b = pool.take(6000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.take(100).buffer.byteLength).toBe(4096);
    const c = pool.take(8000);
    expect(c.buffer).not.toBe(b.buffer);
    pool.give(b);
    pool.give(c); // over the cap: dropped
    expect(pool.take(8000).buffer).toBe(b.buffer);
    expect(pool.take(8000).buffer).not.toBe(c.buffer);
  });
});

describe("grpcTimeoutMs", () => {
  it("reads every unit and refuses malformed values", () => {
    expect([grpcTimeoutMs("2H"), grpcTimeoutMs("3M"), grpcTimeoutMs("4S"), grpcTimeoutMs("5m"), grpcTimeoutMs("6000u"), grpcTimeoutMs("7000000n")]).toEqual([7_200_000, 180_000, 4000, 5, 6, 7]);
    expect([grpcTimeoutMs(undefined), grpcTimeoutMs("5"), grpcTimeoutMs("123456789S"), grpcTimeoutMs("1s")]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
