/** The gRPC client channel against meshsim's gRPC server and against peers that misbehave. */
import * as http2 from "node:http2";
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

describe("GrpcChannel against a server that breaks the framing", () => {
  let raw: http2.Http2Server | undefined;
  afterEach(async () => {
    // The channels first: the server's close waits for their connections.
    channels.splice(0).forEach((c) => c.close());
    await new Promise((resolve) => (raw ? raw.close(resolve) : resolve(undefined)));
    raw = undefined;
  });

  /** A bare HTTP/2 server whose answer to every call is `respond(stream)`. */
  async function rawServer(respond: (stream: http2.ServerHttp2Stream) => void): Promise<number> {
    raw = http2.createServer();
    raw.on("stream", (stream) => respond(stream));
    raw.on("session", (session) => session.on("error", () => undefined));
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
});
