/**
 * The Kafka codec. Every Kafka message is `size:INT32` followed by a header and a body:
 *
 *   Request  => size api_key:INT16 api_version:INT16 correlation_id:INT32
 *               client_id:NULLABLE_STRING (header v1+) TAG_BUFFER (header v2, flexible versions) body
 *   Response => size correlation_id:INT32 TAG_BUFFER (header v1, flexible versions except ApiVersions) body
 *
 * A response carries nothing that says it is a response, nor which API it answers, so each codec
 * instance has a side: the listener's codec reads requests (downstream), and `upstreamCodecFactory`
 * makes the codec that reads responses on upstream connections. The response's API and version
 * come from the request it answers, which the proxy hands to `rewriteResponse` on the downstream
 * codec along with the response: that is where response headers are interpreted, broker addresses
 * rewritten, per-API stats recorded and responses put back in request order (response-order.ts).
 *
 * Bodies pass through as they came, except the broker lists of Metadata, FindCoordinator and
 * DescribeCluster responses when the listener has a broker address map.
 *
 * Upstream connections are per client connection (`upstreamAffinity`), not shared.
 */
import { CodecError, NEED_MORE_DATA, needMoreData, type Codec, type CodecFactory, type CodecOptions, type DecodeResult, type LocalError, type Message, type Metadata } from "../../codec/codec.ts";
import type { ListenerConfig } from "../../config/types.ts";
import { API_KEYS, apiName, isFlexible, requestHeaderVersion, responseHeaderVersion } from "./api-keys.ts";
import type { KafkaApiStats } from "./api-stats.ts";
import { kafkaErrorFor } from "./errors.ts";
import { writeErrorBody } from "./requests/error-response.ts";
import { errorResponseValues, readRequestBody, responseErrorCode, rewriteBrokerAddresses, type RequestFacts } from "./requests/index.ts";
import { ResponseOrder } from "./response-order.ts";
import { Cursor, Writer } from "./wire.ts";

const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;
const REQUEST_ID_OFFSET = 8;
const RESPONSE_ID_OFFSET = 4;

/** Message.detail of a request. */
export interface KafkaRequestDetail {
  readonly side: "request";
  readonly apiKey: number;
  readonly apiVersion: number;
  /** The client's own correlation id (the frame's may be rewritten for the upstream). */
  readonly correlationId: number;
  readonly facts: RequestFacts;
  readonly receivedAt: number;
}

/** Message.detail of a response. */
export interface KafkaResponseDetail {
  readonly side: "response";
}

const RESPONSE_DETAIL: KafkaResponseDetail = Object.freeze({ side: "response" });

export interface KafkaCodecCounters extends Record<string, number> {
  mutationsIgnored: number;
  decodeErrors: number;
}

export class KafkaCodec implements Codec {
  readonly protocol = "kafka";
  readonly counters: KafkaCodecCounters = { mutationsIgnored: 0, decodeErrors: 0 };
  private readonly maxFrameSize: number;
  private readonly order = new ResponseOrder();
  /** Set on the downstream side only: the factory for codecs reading this listener's upstream connections. */
  readonly upstreamCodecFactory: CodecFactory | undefined;
  /**
   * A broker reads one request at a time per connection and answers in order, and each client
   * connection's answers must come back in its request order: on a shared upstream connection one
   * client's slow request (a Fetch waiting max_wait_ms, a Produce waiting for acks=all) would hold
   * up every other client's. So each client connection gets broker connections of its own.
   */
  readonly upstreamAffinity = "per-downstream" as const;
  /**
   * Kafka requests say themselves how long they may wait (Fetch max_wait_ms, Produce timeout_ms,
   * JoinGroup up to the rebalance timeout, minutes), and clients time them out themselves: no
   * proxy default on top.
   */
  readonly defaultTimeoutMs = 0;

  constructor(
    readonly side: "downstream" | "upstream",
    private readonly stats: KafkaApiStats | undefined,
    options: CodecOptions = {},
  ) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.upstreamCodecFactory = side === "downstream" ? (o) => new KafkaCodec("upstream", stats, o ?? options) : undefined;
  }

  decode(input: Buffer, offset: number): DecodeResult {
    if (input.length - offset < 4) return NEED_MORE_DATA;
    const size = input.readInt32BE(offset);
    if (size < 4 || (this.side === "downstream" && size < 8)) return this.fail("malformed", `frame size ${size}`);
    if (size > this.maxFrameSize) return this.fail("too_large", `frame of ${size} bytes exceeds ${this.maxFrameSize}`);
    if (input.length - offset < 4 + size) return needMoreData(4 + size);
    const frame = input.subarray(offset, offset + 4 + size);
    if (this.side === "upstream") {
      const message: Message = { kind: "response", requestId: frame.readInt32BE(RESPONSE_ID_OFFSET), metadata: new Map(), frame, detail: RESPONSE_DETAIL };
      return { status: "message", message, consumed: 4 + size };
    }
    try {
      return { status: "message", message: this.decodeRequest(frame), consumed: 4 + size };
    } catch (error) {
      return this.fail("malformed", `request header: ${(error as Error).message}`);
    }
  }

  private decodeRequest(frame: Buffer): Message {
    const apiKey = frame.readInt16BE(4);
    const apiVersion = frame.readInt16BE(6);
    const correlationId = frame.readInt32BE(REQUEST_ID_OFFSET);
    const c = new Cursor(frame, 12);
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    const clientId = headerVersion >= 1 ? c.string(false) : null;
    if (headerVersion >= 2) c.skipTaggedFields();
    const metadata: Metadata = new Map();
    metadata.set("api_key", String(apiKey));
    metadata.set("api_name", apiName(apiKey));
    metadata.set("api_version", String(apiVersion));
    if (clientId !== null) metadata.set("client_id", clientId);
    let facts: RequestFacts = { topics: null };
    if (API_KEYS[apiKey] !== undefined) {
      try {
        facts = readRequestBody(apiKey, apiVersion, c);
      } catch {
        // A body the proxy cannot read is still forwarded; the broker has the last word on it.
        if (this.stats) this.stats.codec.request_body_unread++;
      }
    }
    if (facts.topics !== null && facts.topics.length > 0) metadata.set("topic", facts.topics[0]!);
    const oneway = facts.produce !== undefined && facts.produce.acks === 0;
    if (!oneway) this.order.expect(correlationId);
    this.stats?.request(apiKey);
    const detail: KafkaRequestDetail = { side: "request", apiKey, apiVersion, correlationId, facts, receivedAt: performance.now() };
    return { kind: oneway ? "oneway" : "request", requestId: correlationId, metadata, frame, detail };
  }

  /** Writes `message.requestId` into the frame (in place) when it differs; Kafka headers have no slot for mutations. */
  encode(message: Message, mutation?: Parameters<Codec["encode"]>[1]): Buffer {
    if (mutation !== undefined && mutation.length > 0) this.counters.mutationsIgnored++;
    const at = (message.detail as KafkaRequestDetail | KafkaResponseDetail).side === "request" ? REQUEST_ID_OFFSET : RESPONSE_ID_OFFSET;
    const frame = message.frame;
    if (frame.readInt32BE(at) !== message.requestId) frame.writeInt32BE(message.requestId, at);
    return frame;
  }

  /**
   * The bytes to write downstream for `response` (whose requestId is the client's again): broker
   * addresses rewritten, stats recorded, and held back until earlier requests are answered.
   */
  rewriteResponse(response: Message, request: Message, listener: ListenerConfig): Buffer {
    const info = request.detail as KafkaRequestDetail;
    let frame = this.encode(response);
    const flexible = isFlexible(info.apiKey, info.apiVersion);
    let errorCode = 0;
    let rewriting = false;
    try {
      const c = new Cursor(frame, 8);
      if (responseHeaderVersion(info.apiKey, info.apiVersion) >= 1) c.skipTaggedFields();
      const bodyOffset = c.at;
      const map = listener.kafkaBrokerAddresses;
      if (map !== undefined) {
        rewriting = true;
        const rb = rewriteBrokerAddresses(info.apiKey, info.apiVersion, flexible, frame, bodyOffset, map);
        rewriting = false;
        if (rb !== undefined) {
          frame = rb.finish();
          if (this.stats) {
            this.stats.codec.broker_address_rewritten += rb.counts.rewritten;
            this.stats.codec.broker_address_unknown += rb.counts.unknown;
          }
        }
      }
      if (this.stats) errorCode = responseErrorCode(info.apiKey, info.apiVersion, flexible, frame, bodyOffset);
    } catch {
      // Not the layout the request's version promises: pass the broker's bytes on as they are.
      // A broker list left unrewritten lets the client dial brokers around the proxy: count it.
      if (rewriting && this.stats) this.stats.codec.broker_address_unparsed++;
    }
    this.stats?.response(info.apiKey, performance.now() - info.receivedAt, errorCode, false);
    return this.release(info.correlationId, frame);
  }

  localReply(request: Message, error: LocalError): Buffer {
    const info = request.detail as KafkaRequestDetail;
    const code = kafkaErrorFor(error, info.facts.topics !== null);
    const flexible = isFlexible(info.apiKey, info.apiVersion);
    const w = new Writer(64).int32(0).int32(info.correlationId);
    if (responseHeaderVersion(info.apiKey, info.apiVersion) >= 1) w.emptyTaggedFields();
    const text = `meshsim: ${error.kind}: ${error.message}`;
    writeErrorBody(w, info.apiKey, info.apiVersion, flexible, code, text, errorResponseValues(info.apiKey, info.facts, code, text));
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    this.stats?.response(info.apiKey, performance.now() - info.receivedAt, code, true);
    return this.release(info.correlationId, frame);
  }

  private release(correlationId: number, frame: Buffer): Buffer {
    const before = this.order.heldCount;
    const out = this.order.release(correlationId, frame);
    if (this.stats && this.order.heldCount !== before) this.stats.codec.responses_held++;
    return out;
  }

  private fail(code: "malformed" | "too_large", message: string): DecodeResult {
    this.counters.decodeErrors++;
    return { status: "error", error: new CodecError(code, message) };
  }
}
