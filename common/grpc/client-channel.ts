/**
 * A gRPC client on node:http2, for the proxy's calls to the control plane (ADS, a long-lived
 * bidirectional stream) and to a rate-limit service (unary). One HTTP/2 connection per channel,
 * opened on the first call and again on the first call after it broke; every call is a stream
 * on it. Messages go out uncompressed and are read uncompressed (the channel advertises no
 * encoding, so a server sends none).
 *
 * Why not grpc-js: its channel machinery (name resolution, load-balancing policies, retries,
 * channelz) is ~10 MiB of every sidecar's memory, for two calls to one address each.
 */
import * as http2 from "node:http2";
import { BufferPool, InboundBudget, MessageReader, writeMessage } from "./messages.ts";
import { decodeGrpcMessage, GrpcError, GrpcStatus } from "./status.ts";

export interface ClientCallHandlers {
  /** One response message; its buffer is the call's own (kept views stay valid). */
  message(bytes: Buffer): void;
  /** The call is over: undefined when the server ended it with OK. Called once. */
  end(error: GrpcError | undefined): void;
  /** Writes may go on after `write` returned false. */
  drained?(): void;
}

export interface ClientCall {
  /** Sends one message made of `parts`; false when the server is behind (wait for `drained`). */
  write(parts: readonly Buffer[]): boolean;
  /** No more messages from this side. */
  halfClose(): void;
  /** Ends the call at once; `end` gets CANCELLED. */
  cancel(): void;
}

export interface GrpcChannelOptions {
  /** The largest response message accepted (default 256 MiB); a larger one ends its call with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
}

export class GrpcChannel {
  private session: http2.ClientHttp2Session | undefined;
  private closed = false;
  private readonly maxMessageBytes: number;

  /** `address` is `host:port` (an IPv6 host in brackets). Nothing connects before the first call. */
  constructor(
    readonly address: string,
    options: GrpcChannelOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024 * 1024;
  }

  /** Starts a call of `path` (`/package.Service/Method`); `timeoutMs` sets its deadline. */
  call(path: string, handlers: ClientCallHandlers, options: { timeoutMs?: number | undefined } = {}): ClientCall {
    if (this.closed) {
      queueMicrotask(() => handlers.end(new GrpcError(GrpcStatus.UNAVAILABLE, "the channel is closed")));
      return { write: () => false, halfClose: () => undefined, cancel: () => undefined };
    }
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
    if (options.timeoutMs !== undefined) headers["grpc-timeout"] = `${Math.max(1, Math.ceil(options.timeoutMs))}m`;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.connection().request(headers);
    } catch {
      // The connection has used up its stream ids (2^30 calls) or is closing: another one.
      this.session?.close();
      this.session = undefined;
      stream = this.connection().request(headers);
    }
    return new Http2ClientCall(stream, handlers, this.maxMessageBytes, options.timeoutMs);
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

  /** Ends every call (CANCELLED) and the connection; later calls end at once with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.session?.destroy();
    this.session = undefined;
  }

  private connection(): http2.ClientHttp2Session {
    const live = this.session;
    if (live && !live.closed && !live.destroyed) return live;
    const session = http2.connect(`http://${this.address}`);
    // A failed connection fails its streams, which report it to their calls.
    session.on("error", () => undefined);
    // After GOAWAY the session takes no new streams: the next call opens another connection.
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.once("goaway", forget);
    session.once("close", forget);
    this.session = session;
    return session;
  }
}

class Http2ClientCall implements ClientCall {
  private error: GrpcError | undefined;
  private status: { code: number; message: string } | undefined;
  private ended = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    private readonly handlers: ClientCallHandlers,
    maxMessageBytes: number,
    timeoutMs: number | undefined,
  ) {
    // A response message is handed on whole, never reused: budget and pool only frame it.
    const reader = new MessageReader(maxMessageBytes, new InboundBudget(Number.POSITIVE_INFINITY), new BufferPool(0), stream);
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.fail(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `deadline exceeded after ${timeoutMs} ms`)), timeoutMs);
    }
    stream.on("response", (headers) => {
      const httpStatus = headers[":status"];
      if (httpStatus !== 200) this.fail(new GrpcError(GrpcStatus.UNKNOWN, `HTTP status ${httpStatus} from the server`));
      // Trailers-only: the status comes with the headers.
      else if (headers["grpc-status"] !== undefined) this.statusFrom(headers);
    });
    stream.on("data", (chunk: Buffer) => {
      if (this.ended) return;
      try {
        for (const m of reader.push(chunk)) {
          if (m.compressed) throw new GrpcError(GrpcStatus.INTERNAL, "a compressed response message, though the channel asked for none");
          this.handlers.message(m.bytes);
        }
      } catch (err) {
        this.fail(err instanceof GrpcError ? err : new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, (err as Error).message));
      }
    });
    stream.on("trailers", (trailers) => this.statusFrom(trailers));
    stream.on("drain", () => this.handlers.drained?.());
    stream.on("error", (err: Error) => {
      this.error ??= new GrpcError(GrpcStatus.UNAVAILABLE, err.message);
    });
    stream.once("close", () => {
      const truncated = reader.midMessage;
      reader.close();
      if (this.status && this.status.code === GrpcStatus.OK && truncated) {
        this.finish(new GrpcError(GrpcStatus.INTERNAL, "the server's stream ended inside a message"));
      } else if (this.status) {
        this.finish(this.status.code === GrpcStatus.OK ? undefined : new GrpcError(this.status.code, this.status.message));
      } else {
        this.finish(this.error ?? new GrpcError(GrpcStatus.UNAVAILABLE, `the stream closed without a status (HTTP/2 code ${stream.rstCode ?? 0})`));
      }
    });
  }

  write(parts: readonly Buffer[]): boolean {
    if (this.ended || this.stream.destroyed) return false;
    return writeMessage(this.stream, parts);
  }

  halfClose(): void {
    if (!this.ended && !this.stream.destroyed) this.stream.end();
  }

  cancel(): void {
    this.fail(new GrpcError(GrpcStatus.CANCELLED, "cancelled by the client"));
  }

  private statusFrom(headers: http2.IncomingHttpHeaders): void {
    const code = Number(headers["grpc-status"]);
    this.status = Number.isInteger(code)
      ? { code, message: decodeGrpcMessage(headers["grpc-message"] as string | undefined) }
      : { code: GrpcStatus.UNKNOWN, message: `a malformed grpc-status "${headers["grpc-status"]}"` };
  }

  /** Ends the call from this side with `error`, resetting the stream. */
  private fail(error: GrpcError): void {
    if (this.ended) return;
    this.finish(error);
    if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private finish(error: GrpcError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.handlers.end(error);
  }
}
