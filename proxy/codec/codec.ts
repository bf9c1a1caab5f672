/**
 * The codec contract: a protocol is only a codec. A codec turns bytes into messages with
 * string metadata and writes messages back, optionally with a mutation applied. It knows
 * nothing of routes, clusters or filters.
 *
 * One codec instance serves one connection (one direction pair), so it may keep per-connection
 * state such as the transport and protocol it detected on the first bytes.
 */

import type { ListenerConfig } from "../config/types.ts";

export type MessageKind = "request" | "response" | "oneway" | "heartbeat" | "error";

/** Routing metadata: flat string pairs (for example `method`, `interface`, THeader keys). */
export type Metadata = Map<string, string>;

/** Header additions a route asks for; an empty or absent mutation must pass bytes through untouched. */
export type Mutation = ReadonlyArray<{ key: string; value: string }>;

export interface Message {
  kind: MessageKind;
  /** The protocol's own request id (Thrift sequence id, Dubbo request id ...). */
  requestId: number;
  metadata: Metadata;
  /** The whole message as received, a view into the input (no copy). */
  frame: Buffer;
  /** Codec-private details (offsets, detected transport/protocol) needed by encode and localReply. */
  readonly detail: unknown;
}

export type LocalErrorKind = "no_route" | "no_cluster" | "no_healthy_endpoint" | "upstream_failure" | "timeout" | "rate_limited" | "fault_abort" | "overflow" | "unauthorized";

export interface LocalError {
  kind: LocalErrorKind;
  message: string;
}

export class CodecError extends Error {
  constructor(
    readonly code: "malformed" | "too_large" | "unsupported",
    message: string,
  ) {
    super(message);
    this.name = "CodecError";
  }
}

export type DecodeResult =
  | { readonly status: "message"; readonly message: Message; readonly consumed: number }
  /** `needed`, when the codec knows it: at least how many bytes from `offset` the message needs (a hint). */
  | { readonly status: "need_more_data"; readonly needed?: number }
  | { readonly status: "error"; readonly error: CodecError };

export const NEED_MORE_DATA: DecodeResult = Object.freeze({ status: "need_more_data" });

/**
 * "Need more data", with how many bytes from `offset` the message needs in all, when a header
 * says so: the connection then collects the rest without copying and re-decoding on every read.
 */
export function needMoreData(needed: number): DecodeResult {
  return { status: "need_more_data", needed };
}

export interface Codec {
  readonly protocol: string;
  /**
   * Called with the connection's unconsumed bytes starting at `offset`. Returns one complete
   * message and how many bytes it used, or NEED_MORE_DATA without consuming anything when the
   * message is incomplete, or a CodecError for bytes that can never become a message.
   * Never throws.
   */
  decode(input: Buffer, offset: number): DecodeResult;
  /**
   * Bytes to write for `message`. With no mutation and an unchanged request id this returns
   * `message.frame` itself. A changed `message.requestId` is written into the header.
   */
  encode(message: Message, mutation?: Mutation): Buffer;
  /** An error reply the protocol's real clients understand, answering `request`. */
  localReply(request: Message, error: LocalError): Buffer;
  /**
   * For protocols with keep-alive messages (Dubbo heartbeats): the reply to a message decoded
   * with kind "heartbeat", answered by the proxy itself. Absent: heartbeats are dropped.
   */
  heartbeatReply?(heartbeat: Message): Buffer | undefined;
  /**
   * The codec's own counters for this connection (e.g. `mutationsIgnored` where the transport has
   * no place for headers). The proxy reports them per listener as `listener.<name>.codec.<key>`.
   */
  readonly counters?: Readonly<Record<string, number>>;
  /**
   * Called on the downstream connection's codec with each upstream `response` (its requestId
   * already the client's again) and the `request` it answers. Returns the bytes to write to the
   * client instead of `encode(response, mutation)`, or undefined to use encode. Kafka uses it to
   * interpret the response by the request's API and version (rewriting broker addresses), and to
   * keep request order: it may return an empty buffer and the held bytes with a later reply.
   */
  rewriteResponse?(response: Message, request: Message, listener: ListenerConfig): Buffer | undefined;
  /**
   * Called on the downstream connection's codec with the bytes about to answer `request` (its
   * own id already written): for ids a number cannot hold exactly (Dubbo's wide ids), writes the
   * request's original id bytes, which this codec kept with the request.
   */
  restoreRequestId?(reply: Buffer, request: Message): void;
  /**
   * For protocols whose responses cannot be told apart from requests by their bytes (Kafka): the
   * factory of the codec that reads this listener's upstream connections. Absent: the listener's
   * own factory serves both sides.
   */
  readonly upstreamCodecFactory?: CodecFactory | undefined;
  /**
   * How this listener's downstream connections share upstream connections. Absent or "shared":
   * every downstream connection multiplexes onto the endpoint's pool of upstream connections
   * (request ids are rewritten per upstream connection). "per-downstream": each downstream
   * connection gets an upstream connection of its own per endpoint, opened on its first request
   * there and closed (after in-flight requests) when the downstream connection closes; it still
   * counts against the cluster's max_connections, and when that limit is reached the pool's
   * existing connections are shared instead. For protocols whose servers answer one request at a
   * time per connection and whose clients need answers in request order (Kafka), where sharing
   * means one client's slow request holds up every other client.
   */
  readonly upstreamAffinity?: "shared" | "per-downstream";
  /**
   * How long a request may wait for its response when its route sets no timeout, in ms; 0: no
   * limit. Absent: the proxy's default (15 s). For protocols whose requests carry their own waits.
   */
  readonly defaultTimeoutMs?: number;
}

export interface CodecOptions {
  /** Frames larger than this are rejected with CodecError("too_large"). */
  maxFrameSize?: number;
}

export type CodecFactory = (options?: CodecOptions) => Codec;
