/** The gRPC client channel against meshsim's gRPC server and against peers that misbehave. */
import * as http2 from "node:http2";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startGrpcStreamServer, type GrpcStreamServer, type MethodHandler } from "../../control-plane/xds/grpc-stream-server.ts";
import { allocatePort } from "../ports.ts";
import { GrpcChannel } from "./client-channel.ts";
import { GrpcError, GrpcStatus } from "./status.ts";

const ECHO = "/test.Echo/Stream";
const SILENT = "/test.Echo/Silent";
const REFUSE = "/test.Echo/Refuse";

/** Echoes each message; ends OK when the client half-closes. */
const echo: MethodHandler = (call) => ({
  message: (bytes) => void call.write([Buffer.from(bytes)]),
  halfClosed: () => call.end(),
  closed: () => undefined,
  drained: () => undefined,
});

let server: GrpcStreamServer | undefined;
const channels: GrpcChannel[] = [];
const headersSeen: http2.IncomingHttpHeaders[] = [];

async function startServer(port = 0): Promise<GrpcStreamServer> {
  server = await startGrpcStreamServer({
    host: "127.0.0.1",
    port,
    maxMessageBytes: 64 * 1024 * 1024,
    methods: {
      [ECHO]: echo,
      [SILENT]: (call) => {
        headersSeen.push(call.headers);
        return { message: () => undefined, halfClosed: () => undefined, closed: () => undefined, drained: () => undefined };
      },
      [REFUSE]: (call) => ({
        message: () => call.end(GrpcStatus.INVALID_ARGUMENT, "no thank you — 100% sure"),
        halfClosed: () => undefined,
        closed: () => undefined,
        drained: () => undefined,
      }),
    },
  });
  return server;
}

function channel(port: number, options?: ConstructorParameters<typeof GrpcChannel>[1]): GrpcChannel {
  const c = new GrpcChannel(`127.0.0.1:${port}`, options);
  channels.push(c);
  return c;
}

afterEach(async () => {
  channels.splice(0).forEach((c) => c.close());
  await server?.close();
  server = undefined;
  headersSeen.length = 0;
});

/** Runs one bidirectional call: sends `messages`, half-closes, collects what comes back and how it ends. */
function exchange(c: GrpcChannel, path: string, messages: Buffer[], timeoutMs?: number) {
  return new Promise<{ received: Buffer[]; error: GrpcError | undefined }>((resolve) => {
    const received: Buffer[] = [];
    const call = c.call(path, { message: (b) => received.push(b), end: (error) => resolve({ received, error }) }, { timeoutMs });
    for (const m of messages) call.write([m.subarray(0, 3), m.subarray(3)]);
    call.halfClose();
  });
}

describe("GrpcChannel", () => {
  it("carries messages both ways, a large one spanning many frames intact, and ends with OK", async () => {
    const { port } = await startServer();
    const large = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < large.length; i++) large[i] = (i * 31) & 0xff;
    const result = await exchange(channel(port), ECHO, [Buffer.from("hello"), Buffer.alloc(0), large, Buffer.from("bye")]);
    expect(result.error).toBeUndefined();
    expect(result.received.map((b) => b.length)).toEqual([5, 0, large.length, 3]);
    expect(result.received[0]!.toString()).toBe("hello");
    expect(result.received[2]!.equals(large)).toBe(true);
  });

  it("ends a call with the server's status and its decoded message", async () => {
    const { port } = await startServer();
    const { error } = await exchange(channel(port), REFUSE, [Buffer.from("x")]);
    expect(error).toBeInstanceOf(GrpcError);
    expect(error?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error?.details).toBe("no thank you — 100% sure");
    expect(error?.message).toBe("3 INVALID_ARGUMENT: no thank you — 100% sure");
  });

  it("reads a trailers-only answer (an unknown method)", async () => {
    const { port } = await startServer();
    const { error } = await exchange(channel(port), "/test.Echo/Nope", [Buffer.from("x")]);
    expect(error?.code).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(error?.details).toMatch(/unknown method \/test\.Echo\/Nope/);
  });

  it("sends its deadline as grpc-timeout and ends the call with DEADLINE_EXCEEDED when it passes", async () => {
    const { port } = await startServer();
    const started = performance.now();
    const { error } = await exchange(channel(port), SILENT, [Buffer.from("x")], 300);
    const elapsed = performance.now() - started;
    expect(error?.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(headersSeen[0]?.["grpc-timeout"]).toBe("300m");
  });

  it("answers a unary call, and refuses a response over its size limit with RESOURCE_EXHAUSTED", async () => {
    const { port } = await startServer();
    expect((await channel(port).unary(ECHO, Buffer.from("ping"), 2000)).toString()).toBe("ping");
    const small = channel(port, { maxMessageBytes: 1000 });
    await expect(small.unary(ECHO, Buffer.alloc(1001), 2000)).rejects.toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED });
    // The connection still serves calls within the limit.
    expect((await small.unary(ECHO, Buffer.alloc(1000, 7), 2000)).length).toBe(1000);
  });

  it("fails with UNAVAILABLE when nothing listens, then connects once the server is there", async () => {
    const port = await allocatePort();
    const c = channel(port);
    await expect(c.unary(ECHO, Buffer.from("a"), 2000)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    await startServer(port);
    expect((await c.unary(ECHO, Buffer.from("b"), 2000)).toString()).toBe("b");
  });

  it("reports a server going away as UNAVAILABLE on an open call, and reconnects for the next", async () => {
    const port = await allocatePort();
    const s = await startServer(port);
    const c = channel(port);
    const ended = new Promise<GrpcError | undefined>((resolve) => {
      const call = c.call(SILENT, { message: () => undefined, end: resolve });
      call.write([Buffer.from("x")]);
    });
    // The call is open on the server before it closes.
    for (const deadline = Date.now() + 2000; headersSeen.length === 0 && Date.now() < deadline; ) await new Promise((r) => setImmediate(r));
    await s.close();
    expect((await ended)?.code).toBe(GrpcStatus.UNAVAILABLE);
    await startServer(port);
    expect((await c.unary(ECHO, Buffer.from("again"), 2000)).toString()).toBe("again");
  });

  it("cancels a call: the handler hears CANCELLED once, and a closed channel refuses new calls", async () => {
    const { port } = await startServer();
    const c = channel(port);
    const ends: Array<GrpcError | undefined> = [];
    const call = c.call(SILENT, { message: () => undefined, end: (e) => ends.push(e) });
    call.write([Buffer.from("x")]);
    call.cancel();
    call.cancel();
    expect(ends.map((e) => e?.code)).toEqual([GrpcStatus.CANCELLED]);
    c.close();
    await expect(c.unary(ECHO, Buffer.from("a"), 2000)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE, details: "the channel is closed" });
  });
});

describe("GrpcChannel against raw HTTP/2 servers", () => {
  let raw: http2.Http2Server | undefined;
  const rawSessions = new Set<http2.ServerHttp2Session>();
  afterEach(async () => {
    // The channels first: the server's close waits for their connections.
    channels.splice(0).forEach((c) => c.close());
    for (const session of rawSessions) session.destroy();
    await new Promise((resolve) => (raw ? raw.close(resolve) : resolve(undefined)));
    raw = undefined;
  });

  /** A bare HTTP/2 server whose answer to every call is `respond(stream)`. */
  async function rawServer(respond: (stream: http2.ServerHttp2Stream) => void, settings?: http2.Settings): Promise<number> {
    raw = http2.createServer(settings ? { settings } : {});
    raw.on("stream", (stream) => {
      stream.on("error", () => undefined);
      respond(stream);
    });
    raw.on("session", (session) => {
      rawSessions.add(session);
      session.on("error", () => undefined);
      session.once("close", () => rawSessions.delete(session));
    });
    await new Promise<void>((resolve) => raw!.listen(0, "127.0.0.1", resolve));
    return (raw.address() as { port: number }).port;
  }

  it("ends with INTERNAL when the stream ends inside a message, though the status says OK", async () => {
    const port = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      // A prefix announcing 10 bytes, then 3 of them.
      stream.end(Buffer.from([0, 0, 0, 0, 10, 1, 2, 3]));
    });
    const { error } = await exchange(channel(port), ECHO, [Buffer.from("x")]);
    expect(error?.code).toBe(GrpcStatus.INTERNAL);
  });

  it("ends with INTERNAL on a compressed message it never asked for", async () => {
    const port = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" });
      stream.write(Buffer.from([1, 0, 0, 0, 1, 9]));
    });
    const { error } = await exchange(channel(port), ECHO, [Buffer.from("x")]);
    expect(error?.code).toBe(GrpcStatus.INTERNAL);
  });

  it("ends with UNKNOWN on an HTTP status other than 200", async () => {
    const port = await rawServer((stream) => stream.respond({ ":status": 503 }, { endStream: true }));
    const { error } = await exchange(channel(port), ECHO, [Buffer.from("x")]);
    expect(error?.code).toBe(GrpcStatus.UNKNOWN);
    expect(error?.details).toMatch(/HTTP status 503/);
  });

  const answerOk = (stream: http2.ServerHttp2Stream, body = Buffer.from("ok")) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.resume();
    stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]));
  };

  it("starts a burst of calls on a new connection only once the server's settings are in: none is refused", async () => {
    // Answered a little later, so that the burst really holds both of the server's two streams.
    const port = await rawServer((stream) => setTimeout(() => answerOk(stream), 20), { maxConcurrentStreams: 2 });
    const c = channel(port);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.unary("/x/Y", Buffer.from("q"), 5000)));
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  });

  it("delivers nothing after a handler cancels the call, and ends it once with CANCELLED", async () => {
    const port = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      const m = (text: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, text.length]), Buffer.from(text)]);
      stream.write(Buffer.concat([m("1"), m("2"), m("3")]));
    });
    const log: string[] = [];
    await new Promise<void>((resolve) => {
      const call = channel(port).call("/x/Y", {
        message: (b) => {
          log.push(`message ${b}`);
          call.cancel();
        },
        end: (e) => {
          log.push(`end ${e?.code}`);
          resolve();
        },
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual(["message 1", `end ${GrpcStatus.CANCELLED}`]);
  });

  it("ends calls with INTERNAL when the message handler throws, and when the server sends no status", async () => {
    const port = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.end(Buffer.from([0, 0, 0, 0, 1, 7]));
    });
    const thrown = await new Promise<GrpcError | undefined>((end) =>
      channel(port).call("/x/Y", {
        message: () => {
          throw new TypeError("handler bug");
        },
        end,
      }),
    );
    expect(thrown?.code).toBe(GrpcStatus.INTERNAL);
    expect(thrown?.details).toMatch(/handler bug/);
    await expect(channel(port).unary("/x/Y", Buffer.from("q"), 2000)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL, details: "the server ended the call without a status" });
  });

  for (const [reset, code] of [
    [http2.constants.NGHTTP2_CANCEL, GrpcStatus.CANCELLED],
    [http2.constants.NGHTTP2_REFUSED_STREAM, GrpcStatus.UNAVAILABLE],
    [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, GrpcStatus.RESOURCE_EXHAUSTED],
    [http2.constants.NGHTTP2_PROTOCOL_ERROR, GrpcStatus.INTERNAL],
  ] as const) {
    it(`maps a reset with HTTP/2 code ${reset} to status ${code}`, async () => {
      const port = await rawServer((stream) => stream.close(reset));
      await expect(channel(port).unary("/x/Y", Buffer.from("q"), 2000)).rejects.toMatchObject({ code });
    });
  }

  it("close() ends with CANCELLED a call on a connection the server is draining (GOAWAY)", async () => {
    const port = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
      // Frames arrive in order: once this message is in, so is the GOAWAY before it.
      stream.write(Buffer.from([0, 0, 0, 0, 1, 7]));
    });
    const c = channel(port);
    const ended = await new Promise<GrpcError | undefined>((end) => {
      c.call("/x/Y", { message: () => c.close(), end });
    });
    expect(ended?.code).toBe(GrpcStatus.CANCELLED);
    expect(ended?.details).toBe("the channel was closed");
  });

  it("refuses writes after halfClose, also while the connection is still being set up", async () => {
    // The server answers with the number of bytes it received.
    const port = await rawServer((stream) => {
      let received = 0;
      stream.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      stream.on("end", () => answerOk(stream, Buffer.from(String(received))));
    });
    const replies: string[] = [];
    const ended = new Promise<GrpcError | undefined>((end) => {
      const call = channel(port).call("/x/Y", { message: (b) => replies.push(b.toString()), end });
      expect(call.write([Buffer.from("first")])).toBe(true);
      call.halfClose();
      expect(call.write([Buffer.from("late")])).toBe(false);
    });
    expect(await ended).toBeUndefined();
    expect(replies).toEqual([String(5 + "first".length)]);
  });

  it("fails its calls with UNAVAILABLE when a server accepts but never speaks HTTP/2", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const c = channel((silent.address() as { port: number }).port, { connectTimeoutMs: 300 });
      const started = performance.now();
      const ended = await new Promise<GrpcError | undefined>((end) => c.call("/x/Y", { message: () => undefined, end }));
      expect(ended?.code).toBe(GrpcStatus.UNAVAILABLE);
      expect(ended?.details).toMatch(/no HTTP\/2 settings .* within 300 ms/);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });
});
