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

/** The gRPC status codes this server sends. */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

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
  /** One request message; throwing ends the call with INVALID_ARGUMENT and the error's message. */
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
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

export interface GrpcStreamServer {
  port: number;
  /** Ends every call with UNAVAILABLE, closes every connection and stops listening. */
  close(): Promise<void>;
}

const PREFIX_BYTES = 5;
/**
 * The receive window per stream: an Envoy ACK repeats every name it holds (a hundred kilobytes
 * and more). The connection keeps HTTP/2's default window: raising it with setLocalWindowSize
 * stalled grpc-js clients that raise their own (grpc-node.flow_control_window) with many calls
 * per connection: they sent one message per call and then nothing.
 */
const STREAM_WINDOW = 1024 * 1024;

/** gRPC's percent-encoding for grpc-message: printable ASCII except '%' stays as it is. */
function encodeGrpcMessage(message: string): string {
  return Array.from(Buffer.from(message, "utf8"), (byte) => (byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)).join(
    "",
  );
}

/** `grpc-timeout` (an integer and a unit, H M S m u n) in milliseconds; undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  const m = value ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  if (!m) return undefined;
  const scale = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[m[2] as "H" | "M" | "S" | "m" | "u" | "n"];
  return Number(m[1]) * scale;
}

/** Splits a byte stream into gRPC messages (a flag byte, a 4-byte length, the message). */
class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Adds `chunk` and returns the messages now complete, with their compressed flag. */
  push(chunk: Buffer): Array<{ compressed: boolean; bytes: Buffer }> {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Array<{ compressed: boolean; bytes: Buffer }> = [];
    while (this.buffered >= PREFIX_BYTES) {
      const head = this.peek(PREFIX_BYTES);
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes) throw new MessageTooLarge(length, this.maxMessageBytes);
      if (this.buffered < PREFIX_BYTES + length) break;
      this.take(PREFIX_BYTES);
      out.push({ compressed: head[0] === 1, bytes: this.take(length) });
    }
    return out;
  }

  /** The first `n` buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    return first.length >= n ? first.subarray(0, n) : Buffer.concat(this.chunks).subarray(0, n);
  }

  /** Consumes `n` bytes: a view of one chunk when they lie in it, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const joined = Buffer.concat(this.chunks);
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    return joined.subarray(0, n);
  }
}

class MessageTooLarge extends Error {
  constructor(length: number, max: number) {
    super(`a request message of ${length} bytes is larger than the ${max} bytes accepted`);
  }
}

function decompress(encoding: string | undefined, bytes: Buffer, maxMessageBytes: number): Buffer {
  if (encoding === "gzip") return gunzipSync(bytes, { maxOutputLength: maxMessageBytes });
  if (encoding === "deflate") return inflateSync(bytes, { maxOutputLength: maxMessageBytes });
  throw new UnsupportedEncoding(encoding ?? "identity");
}

class UnsupportedEncoding extends Error {
  constructor(encoding: string) {
    super(`a request message compressed with "${encoding}": this server reads gzip and deflate`);
  }
}

class Http2Call implements ServerCall {
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
  ) {}

  write(parts: readonly Buffer[]): boolean {
    if (this.ended || this.stream.destroyed) return false;
    let length = 0;
    for (const p of parts) length += p.length;
    const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
    prefix[0] = 0;
    prefix.writeUInt32BE(length, 1);
    // Corked, the parts reach HTTP/2 as one writev.
    this.stream.cork();
    let more = this.stream.write(prefix);
    for (const p of parts) if (p.length > 0) more = this.stream.write(p);
    this.stream.uncork();
    return more;
  }

  end(code: number = GrpcStatus.OK, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.stream.destroyed || this.stream.closed) return;
    const trailers: http2.OutgoingHttpHeaders = { "grpc-status": String(code) };
    if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
    this.stream.once("wantTrailers", () => {
      if (!this.stream.destroyed) this.stream.sendTrailers(trailers);
    });
    this.stream.end();
  }

  deadline(ms: number): void {
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
  const keepaliveMs = options.keepaliveMs ?? 30_000;
  const keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 10_000;
  const calls = new Set<Http2Call>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer({
    settings: { maxConcurrentStreams: 100_000, initialWindowSize: STREAM_WINDOW },
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
    const call = new Http2Call(stream, headers);
    calls.add(call);
    const timeoutMs = grpcTimeoutMs(headers["grpc-timeout"] as string | undefined);
    if (timeoutMs !== undefined) call.deadline(timeoutMs);
    const handlers = method(call);
    const reader = new MessageReader(maxMessageBytes);
    const encoding = headers["grpc-encoding"] as string | undefined;
    // After a call ends in error its remaining input is read and dropped: a stream left unread
    // would hold the connection's receive window, and with it every other call on the connection.
    let failed = false;
    const fail = (code: number, message: string) => {
      failed = true;
      call.end(code, message);
    };
    stream.on("data", (chunk: Buffer) => {
      if (failed) return;
      let messages: ReturnType<MessageReader["push"]>;
      try {
        messages = reader.push(chunk);
      } catch (err) {
        fail(err instanceof MessageTooLarge ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL, (err as Error).message);
        return;
      }
      for (const m of messages) {
        try {
          handlers.message(m.compressed ? decompress(encoding, m.bytes, maxMessageBytes) : m.bytes);
        } catch (err) {
          fail(err instanceof UnsupportedEncoding ? GrpcStatus.UNIMPLEMENTED : GrpcStatus.INVALID_ARGUMENT, (err as Error).message);
          return;
        }
      }
    });
    stream.on("end", () => handlers.halfClosed());
    stream.on("drain", () => handlers.drained());
    stream.once("close", () => {
      calls.delete(call);
      call.end(); // clears the deadline; the stream is gone, so nothing is sent
      handlers.closed();
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : options.port);
    });
  });

  return {
    port,
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
