/**
 * One call of a GrpcChannel (client-channel.ts) on its HTTP/2 stream: messages out and in, the
 * status from the trailers, and what a call ends with when there are none (the gRPC spec's
 * mapping of HTTP/2 resets). Until the channel hands it a stream (the connection's settings are
 * known), writes wait in the call.
 */
import * as http2 from "node:http2";
import { MessageReader, MessageTooLarge, writeMessage } from "./messages.ts";
import { decodeGrpcMessage, GrpcError, GrpcStatus } from "./status.ts";

export interface ClientCallHandlers {
  /** One response message; its buffer is the call's own (kept views stay valid). */
  message(bytes: Buffer): void;
  /** The call is over: undefined when the server ended it with OK. Called once; no message follows. */
  end(error: GrpcError | undefined): void;
  /** Writes may go on after `write` returned false. */
  drained?(): void;
}

export interface ClientCall {
  /**
   * Sends one message made of `parts` (not copied: do not change them afterwards); false when
   * the server is behind (wait for `drained`), or when the call is over or half-closed.
   */
  write(parts: readonly Buffer[]): boolean;
  /** No more messages from this side. */
  halfClose(): void;
  /** Ends the call at once; `end` gets CANCELLED. */
  cancel(): void;
}

/** RST_STREAM codes with a status of their own (gRPC over HTTP/2); any other reset is INTERNAL. */
const RESET_STATUS: ReadonlyMap<number, number> = new Map([
  [http2.constants.NGHTTP2_REFUSED_STREAM, GrpcStatus.UNAVAILABLE],
  [http2.constants.NGHTTP2_CANCEL, GrpcStatus.CANCELLED],
  [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, GrpcStatus.RESOURCE_EXHAUSTED],
]);

export class Http2ClientCall implements ClientCall {
  private stream: http2.ClientHttp2Stream | undefined;
  /** Messages written before the stream exists. */
  private queued: Array<readonly Buffer[]> = [];
  private halfClosed = false;
  private ended = false;
  private status: { code: number; message: string } | undefined;
  /** Why the connection under the stream failed, when it did. */
  private transportError: string | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handlers: ClientCallHandlers,
    private readonly maxMessageBytes: number,
    timeoutMs: number | undefined,
    /** Called once when the call ends, however. */
    private readonly onEnd: () => void,
  ) {
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.fail(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `deadline exceeded after ${timeoutMs} ms`)), timeoutMs);
    }
  }

  get isOver(): boolean {
    return this.ended;
  }

  /** Starts the call on `stream`: what was written meanwhile goes first. */
  attach(stream: http2.ClientHttp2Stream): void {
    if (this.ended) {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    this.stream = stream;
    // Held here: a closed stream no longer names its session.
    const session = stream.session;
    // No shared assembly: a response message gets a buffer of its own, handed on and never reused.
    const reader = new MessageReader(this.maxMessageBytes);
    stream.on("response", (headers) => {
      const httpStatus = headers[":status"];
      if (httpStatus !== 200) this.fail(new GrpcError(GrpcStatus.UNKNOWN, `HTTP status ${httpStatus} from the server`));
      // Trailers-only: the status comes with the headers.
      else if (headers["grpc-status"] !== undefined) this.statusFrom(headers);
    });
    stream.on("data", (chunk: Buffer) => {
      if (this.ended) return;
      let messages: ReturnType<MessageReader["push"]>;
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.fail(new GrpcError(err instanceof MessageTooLarge ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL, (err as Error).message));
        return;
      }
      for (const m of messages) {
        // A handler may end the call (cancel) on any message: nothing is delivered after.
        if (this.ended) return;
        if (m.compressed) {
          this.fail(new GrpcError(GrpcStatus.INTERNAL, "a compressed response message, though the channel asked for none"));
          return;
        }
        try {
          this.handlers.message(m.bytes);
        } catch (err) {
          this.fail(new GrpcError(GrpcStatus.INTERNAL, `the response handler failed: ${(err as Error).message}`));
        }
      }
    });
    stream.on("trailers", (trailers) => this.statusFrom(trailers));
    stream.on("drain", () => this.handlers.drained?.());
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // A reset stream is told by its code (below); anything else is the connection failing.
      if (err.code !== "ERR_HTTP2_STREAM_ERROR") this.transportError ??= err.message;
    });
    stream.once("close", () => {
      const truncated = reader.midMessage;
      reader.close();
      if (this.status && this.status.code === GrpcStatus.OK && truncated) {
        this.finish(new GrpcError(GrpcStatus.INTERNAL, "the server's stream ended inside a message"));
      } else if (this.status) {
        this.finish(this.status.code === GrpcStatus.OK ? undefined : new GrpcError(this.status.code, this.status.message));
      } else {
        this.finish(this.endWithoutStatus(stream, session));
      }
    });
    for (const parts of this.queued) writeMessage(stream, parts);
    this.queued = [];
    if (this.halfClosed) stream.end();
  }

  write(parts: readonly Buffer[]): boolean {
    if (this.ended || this.halfClosed) return false;
    if (!this.stream) {
      this.queued.push(parts);
      return true;
    }
    if (this.stream.destroyed) return false;
    return writeMessage(this.stream, parts);
  }

  halfClose(): void {
    if (this.ended || this.halfClosed) return;
    this.halfClosed = true;
    if (this.stream && !this.stream.destroyed) this.stream.end();
  }

  cancel(): void {
    this.fail(new GrpcError(GrpcStatus.CANCELLED, "cancelled by the client"));
  }

  /** Ends the call from this side with `error`, resetting its stream. */
  fail(error: GrpcError): void {
    if (this.ended) return;
    this.finish(error);
    if (this.stream && !this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private statusFrom(headers: http2.IncomingHttpHeaders): void {
    const code = Number(headers["grpc-status"]);
    this.status = Number.isInteger(code)
      ? { code, message: decodeGrpcMessage(headers["grpc-message"] as string | undefined) }
      : { code: GrpcStatus.UNKNOWN, message: `a malformed grpc-status "${headers["grpc-status"]}"` };
  }

  private endWithoutStatus(stream: http2.ClientHttp2Stream, session: http2.Http2Session | undefined): GrpcError {
    if (this.transportError !== undefined) return new GrpcError(GrpcStatus.UNAVAILABLE, this.transportError);
    if (!session || session.destroyed || session.closed) return new GrpcError(GrpcStatus.UNAVAILABLE, "the connection to the server closed");
    const code = stream.rstCode ?? http2.constants.NGHTTP2_NO_ERROR;
    if (code === http2.constants.NGHTTP2_NO_ERROR) return new GrpcError(GrpcStatus.INTERNAL, "the server ended the call without a status");
    return new GrpcError(RESET_STATUS.get(code) ?? GrpcStatus.INTERNAL, `the server reset the call (HTTP/2 code ${code})`);
  }

  private finish(error: GrpcError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.queued = [];
    if (this.timer) clearTimeout(this.timer);
    this.onEnd();
    this.handlers.end(error);
  }
}
