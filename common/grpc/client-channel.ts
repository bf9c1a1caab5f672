/**
 * A gRPC client on node:http2, for the proxy's calls to the control plane (ADS, a long-lived
 * bidirectional stream) and to a rate-limit service (unary). One HTTP/2 connection per channel,
 * opened on the first call and again on the first call after it broke or was told to go away;
 * every call is a stream on it. Calls start once the server's SETTINGS have arrived: before
 * that the client does not know how many streams the server takes, and a burst past its limit
 * would be refused. Messages go out uncompressed and are read uncompressed (the channel
 * advertises no encoding, so a server sends none).
 *
 * Why not grpc-js: its channel machinery (name resolution, load-balancing policies, retries,
 * channelz) is megabytes of every sidecar's memory, for two calls to one address each.
 */
import * as http2 from "node:http2";
import { type ClientCall, type ClientCallHandlers, Http2ClientCall } from "./client-call.ts";
import { GrpcError, GrpcStatus } from "./status.ts";

export type { ClientCall, ClientCallHandlers } from "./client-call.ts";

export interface GrpcChannelOptions {
  /** The largest response message accepted (default 256 MiB); a larger one ends its call with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** How long a new connection may take to bring the server's SETTINGS (default 10 s); past it, its calls fail with UNAVAILABLE. */
  connectTimeoutMs?: number;
}

interface Connection {
  session: http2.ClientHttp2Session;
  /** The server's SETTINGS have arrived. */
  ready: boolean;
  /** Calls waiting for `ready`. */
  waiting: Array<(session: http2.ClientHttp2Session | GrpcError) => void>;
}

export class GrpcChannel {
  /** The connection new calls go to. */
  private current: Connection | undefined;
  /** Every connection still open, the current one and those draining after GOAWAY. */
  private readonly sessions = new Set<http2.ClientHttp2Session>();
  private readonly calls = new Set<Http2ClientCall>();
  private closed = false;
  private readonly maxMessageBytes: number;
  private readonly connectTimeoutMs: number;

  /** `address` is `host:port` (an IPv6 host in brackets). Nothing connects before the first call. */
  constructor(
    readonly address: string,
    options: GrpcChannelOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** Starts a call of `path` (`/package.Service/Method`); `timeoutMs` sets its deadline. */
  call(path: string, handlers: ClientCallHandlers, options: { timeoutMs?: number | undefined } = {}): ClientCall {
    const call: Http2ClientCall = new Http2ClientCall(handlers, this.maxMessageBytes, options.timeoutMs, () => this.calls.delete(call));
    if (this.closed) {
      queueMicrotask(() => call.fail(new GrpcError(GrpcStatus.UNAVAILABLE, "the channel is closed")));
      return call;
    }
    this.calls.add(call);
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
    if (options.timeoutMs !== undefined) headers["grpc-timeout"] = `${Math.max(1, Math.ceil(options.timeoutMs))}m`;
    this.whenReady((session) => {
      if (session instanceof GrpcError) return call.fail(session);
      if (call.isOver) return;
      try {
        call.attach(session.request(headers));
      } catch (err) {
        // The connection has used up its stream ids (2^30 calls) or is closing: the next call opens another.
        if (this.current?.session === session) this.current = undefined;
        session.close();
        call.fail(new GrpcError(GrpcStatus.UNAVAILABLE, (err as Error).message));
      }
    });
    return call;
  }

  /** One request, one response: the response's bytes, or a GrpcError. */
  unary(path: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let response: Buffer | undefined;
      const call = this.call(
        path,
        {
          message: (bytes) => {
            response = bytes;
          },
          end: (error) => {
            if (error) reject(error);
            else if (response) resolve(response);
            else reject(new GrpcError(GrpcStatus.UNIMPLEMENTED, "the server ended a unary call without a response"));
          },
        },
        { timeoutMs },
      );
      call.write([request]);
      call.halfClose();
    });
  }

  /** Ends every call (CANCELLED) and every connection; later calls end at once with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    for (const call of [...this.calls]) call.fail(new GrpcError(GrpcStatus.CANCELLED, "the channel was closed"));
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
    this.current = undefined;
  }

  private whenReady(start: (session: http2.ClientHttp2Session | GrpcError) => void): void {
    const connection = this.connection();
    if (connection.ready) start(connection.session);
    else connection.waiting.push(start);
  }

  private connection(): Connection {
    const live = this.current;
    if (live && !live.session.closed && !live.session.destroyed) return live;
    const session = http2.connect(`http://${this.address}`);
    const connection: Connection = { session, ready: false, waiting: [] };
    this.current = connection;
    this.sessions.add(session);
    let failure: string | undefined;
    const release = (outcome: http2.ClientHttp2Session | GrpcError) => {
      const waiting = connection.waiting;
      connection.waiting = [];
      for (const start of waiting) start(outcome);
    };
    const timeout = setTimeout(() => {
      failure = `no HTTP/2 settings from ${this.address} within ${this.connectTimeoutMs} ms`;
      session.destroy();
    }, this.connectTimeoutMs);
    timeout.unref();
    session.once("remoteSettings", () => {
      clearTimeout(timeout);
      connection.ready = true;
      release(session);
    });
    // A failed connection fails its streams, which report it to their calls.
    session.on("error", (err) => {
      failure ??= err.message;
    });
    // After GOAWAY the session takes no new streams: the next call opens another connection.
    session.once("goaway", () => {
      if (this.current === connection) this.current = undefined;
    });
    session.once("close", () => {
      clearTimeout(timeout);
      this.sessions.delete(session);
      if (this.current === connection) this.current = undefined;
      release(new GrpcError(GrpcStatus.UNAVAILABLE, failure ?? `the connection to ${this.address} closed`));
    });
    return connection;
  }
}
