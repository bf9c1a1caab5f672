/**
 * A small gRPC server for bidirectional streaming methods, on node:http2 (gRPC over HTTP/2:
 * length-prefixed messages in DATA frames, the status in trailers).
 *
 * Why not grpc-js's server: it copies every outgoing message into a fresh buffer behind its
 * 5-byte prefix. An xDS response is megabytes shared by thousands of proxies, and those copies
 * were most of the control plane's CPU and garbage while 2000 proxies connected. Here a message
 * goes out as its parts (the prefix, a body shared between proxies, a per-proxy tail), handed
 * to HTTP/2 as they are.
 *
 * What it does: unknown methods get UNIMPLEMENTED; a content type other than application/grpc
 * gets HTTP 415; requests compressed with gzip or deflate are decompressed, other encodings get
 * UNIMPLEMENTED; a message above `maxMessageBytes` ends its call with RESOURCE_EXHAUSTED;
 * `grpc-timeout` is honoured (DEADLINE_EXCEEDED); every connection is pinged every
 * `keepaliveMs` and closed when a ping goes unanswered for `keepaliveTimeoutMs`, so a proxy
 * that vanished without a word does not stay "connected". Responses are never compressed.
 */
import * as http2 from "node:http2";
import { gunzipSync, inflateSync } from "node:zlib";
import { BufferPool, InboundBudget, MessageReader, MessageTooLarge, writeMessage } from "../../common/grpc/messages.ts";
import { encodeGrpcMessage, GrpcStatus } from "../../common/grpc/status.ts";

export interface ServerCall {
  /** The request headers (gRPC metadata included). */
  readonly headers: http2.IncomingHttpHeaders;
  /**
   * Sends one message made of `parts`, in order (they are not copied: do not change them
   * afterwards). False when the peer is behind: wait for `drained`.
   */
  write(parts: readonly Buffer[]): boolean;
  /** Ends the call with a status (OK unless told otherwise); later calls do nothing. */
  end(code?: number, message?: string): void;
}

/** What a method does with its call's events. */
export interface CallHandlers {
  /**
   * One request message, valid only during the call (its buffer is reused: copy what must be
   * kept); throwing ends the call with INVALID_ARGUMENT and the error's message.
   */
  message(bytes: Buffer): void;
  /** The client has sent its last message. */
  halfClosed(): void;
  /** The call is over, however it ended; called once. */
  closed(): void;
  /** Writes may go on after `write` returned false. */
  drained(): void;
}

export type MethodHandler = (call: ServerCall) => CallHandlers;

export interface GrpcStreamServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Path (`/package.Service/Method`) → handler. */
  methods: Readonly<Record<string, MethodHandler>>;
  /** The largest request message accepted (default 16 MiB). */
  maxMessageBytes?: number;
  /** Bytes of request messages received in part, across calls, before calls wait (default 64 MiB; see InboundBudget). */
  inboundBudgetBytes?: number;
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

export interface GrpcStreamServer {
  port: number;
  /** The most bytes of partly received request messages held at once (see InboundBudget). */
  peakInboundBytes(): number;
  /** Ends every call with UNAVAILABLE, closes every connection and stops listening. */
  close(): Promise<void>;
}

/** Bytes of partly received request messages held across calls before senders wait (InboundBudget). */
const DEFAULT_INBOUND_BUDGET = 64 * 1024 * 1024;
/** The kernel caps it at net.core.somaxconn. */
const LISTEN_BACKLOG = 4096;

/** `grpc-timeout` (an integer and a unit, H M S m u n) in milliseconds; undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  const m = value ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  if (!m) return undefined;
  const scale = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[m[2] as "H" | "M" | "S" | "m" | "u" | "n"];
  return Number(m[1]) * scale;
}

function decompress(encoding: string | undefined, bytes: Buffer, maxMessageBytes: number): Buffer {
  if (encoding === undefined || encoding === "identity") throw new ProtocolError("a message flagged as compressed on a call without grpc-encoding");
  if (encoding !== "gzip" && encoding !== "deflate") throw new UnsupportedEncoding(encoding);
  try {
    return encoding === "gzip" ? gunzipSync(bytes, { maxOutputLength: maxMessageBytes }) : inflateSync(bytes, { maxOutputLength: maxMessageBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new MessageTooLarge(`a request message larger than the ${maxMessageBytes} bytes accepted once decompressed`);
    throw new ProtocolError(`a message that does not decompress with ${encoding}: ${(err as Error).message}`);
  }
}

/** The peer broke gRPC's framing: INTERNAL, as the gRPC spec says. */
class ProtocolError extends Error {}

class UnsupportedEncoding extends Error {
  constructor(encoding: string) {
    super(`a request message compressed with "${encoding}": this server reads gzip and deflate`);
  }
}

/** The longest delay setTimeout takes (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Http2Call implements ServerCall {
  private done = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
    /** Called once when the call ends, however: its input is no longer read. */
    private readonly onEnd: () => void,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  write(parts: readonly Buffer[]): boolean {
    if (this.done || this.stream.destroyed) return false;
    return writeMessage(this.stream, parts);
  }

  end(code: number = GrpcStatus.OK, message?: string): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.onEnd();
    if (this.stream.destroyed || this.stream.closed) return;
    const trailers: http2.OutgoingHttpHeaders = { "grpc-status": String(code) };
    if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
    this.stream.once("wantTrailers", () => {
      if (!this.stream.destroyed) this.stream.sendTrailers(trailers);
    });
    this.stream.end();
  }

  deadline(ms: number): void {
    // Beyond what a timer can wait (about 24.8 days, grpc-go sends such values), no deadline.
    if (ms > MAX_TIMER_MS) return;
    this.timer = setTimeout(() => this.end(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded"), ms);
    this.timer.unref();
  }
}

/** Answers a request that never becomes a call: headers and status in one HEADERS frame. */
function trailersOnly(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeGrpcMessage(message) }, { endStream: true });
}

export async function startGrpcStreamServer(options: GrpcStreamServerOptions): Promise<GrpcStreamServer> {
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const budget = new InboundBudget(options.inboundBudgetBytes ?? DEFAULT_INBOUND_BUDGET);
  const pool = new BufferPool(Math.min(budget.limit, 16 * 1024 * 1024));
  const keepaliveMs = options.keepaliveMs ?? 30_000;
  const keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 10_000;
  const calls = new Set<Http2Call>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer({
    // Receive windows stay at HTTP/2's defaults (64 KiB per stream and per connection): a call
    // paused for the inbound budget then holds at most that much, and raising the connection
    // window with setLocalWindowSize stalled grpc-js clients that raise their own
    // (grpc-node.flow_control_window) with many calls per connection.
    settings: { maxConcurrentStreams: 100_000 },
    // In megabytes. Outgoing data waits in the session; how much of it there may be is bounded by
    // the xDS server's push gate and back-pressure, not by this (Node's default of 10 refuses
    // new streams while a few full configurations are on their way).
    maxSessionMemory: 4096,
  });

  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => undefined); // the session's streams report their own end
    const keepalive = setInterval(() => {
      if (session.destroyed) return;
      const timeout = setTimeout(() => session.destroy(), keepaliveTimeoutMs);
      timeout.unref();
      const sent = session.ping((err) => {
        clearTimeout(timeout);
        if (err && !session.destroyed) session.destroy();
      });
      if (!sent) clearTimeout(timeout);
    }, keepaliveMs);
    keepalive.unref();
    session.once("close", () => clearInterval(keepalive));
  });

  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined); // reported to the handler as `closed`
    const contentType = headers["content-type"];
    if (headers[":method"] !== "POST" || typeof contentType !== "string" || !contentType.startsWith("application/grpc")) {
      stream.respond({ ":status": 415 }, { endStream: true });
      return;
    }
    const path = headers[":path"] ?? "";
    const method = Object.hasOwn(options.methods, path) ? options.methods[path] : undefined;
    if (!method) {
      trailersOnly(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-accept-encoding": "identity,gzip,deflate" }, { waitForTrailers: true });
    // Once the call has ended (an error, a deadline, the server closing) its remaining input is
    // read and dropped, and what the reader holds goes back to the budget: a stream left unread
    // would hold the connection's receive window, and with it every other call on it.
    const reader = new MessageReader(maxMessageBytes, { budget, pool, flow: { pause: () => stream.pause(), resume: () => stream.resume() } });
    const call = new Http2Call(stream, headers, () => {
      reader.close();
      stream.resume();
    });
    calls.add(call);
    const timeoutMs = grpcTimeoutMs(headers["grpc-timeout"] as string | undefined);
    if (timeoutMs !== undefined) call.deadline(timeoutMs);
    const handlers = method(call);
    const encoding = headers["grpc-encoding"] as string | undefined;
    const statusOf = (err: unknown) =>
      err instanceof MessageTooLarge
        ? GrpcStatus.RESOURCE_EXHAUSTED
        : err instanceof UnsupportedEncoding
          ? GrpcStatus.UNIMPLEMENTED
          : err instanceof ProtocolError
            ? GrpcStatus.INTERNAL
            : GrpcStatus.INVALID_ARGUMENT;
    stream.on("data", (chunk: Buffer) => {
      if (call.ended) return;
      let messages: ReturnType<MessageReader["push"]>;
      try {
        messages = reader.push(chunk);
      } catch (err) {
        call.end(statusOf(err), (err as Error).message);
        return;
      }
      for (const m of messages) {
        try {
          if (!call.ended) handlers.message(m.compressed ? decompress(encoding, m.bytes, maxMessageBytes) : m.bytes);
        } catch (err) {
          call.end(statusOf(err), (err as Error).message);
        } finally {
          if (m.pooled) pool.give(m.bytes);
        }
      }
    });
    stream.on("end", () => {
      if (call.ended) return;
      if (reader.midMessage) call.end(GrpcStatus.INTERNAL, "the client's stream ended inside a message");
      else handlers.halfClosed();
    });
    stream.on("drain", () => handlers.drained());
    stream.once("close", () => {
      calls.delete(call);
      call.end(); // gives back what the reader holds, clears the deadline; nothing is sent
      handlers.closed();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    // A deep accept queue: thousands of sidecars reconnect at once after a restart, and past
    // Node's default of 511 the kernel answers the overflow with SYN cookies and then resets.
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : options.port);
    });
  });

  return {
    port,
    peakInboundBytes: () => budget.peak,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of calls) call.end(GrpcStatus.UNAVAILABLE, "the control plane is shutting down");
        server.close(() => resolve());
        for (const session of sessions) session.close();
        // A client that never reads its last frames would keep a graceful close waiting.
        setTimeout(() => {
          for (const session of sessions) session.destroy();
          resolve();
        }, 200).unref();
      }),
  };
}
