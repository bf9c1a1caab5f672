/**
 * The Thrift codec: framed, unframed (buffered) or THeader transport, binary (strict or lax) or
 * compact protocol, detected on a connection's first message and kept for the rest of it (a
 * THeader frame names its protocol itself). Only the message header is decoded; bodies are
 * forwarded as the bytes received.
 *
 * decode state machine: UNDETECTED --first complete message--> DETECTED(transport, protocol).
 * While a message is incomplete, `pendingNeed` remembers how many bytes from the message start
 * the last scan proved necessary, so re-scanning an unframed body waits until at least that
 * many have arrived.
 *
 * Metadata: `method` (for TMultiplexedProtocol names `service:method`, the part after the colon,
 * and `service` the part before it) plus every THeader info header. A route's mutation is written
 * as THeader info headers; framed and unframed transports have no header slot, so there it is
 * ignored and counted in `mutationsIgnored`.
 *
 * Wire grammars: transport.ts, transport-header.ts, protocol-binary.ts, protocol-compact.ts,
 * application-exception.ts.
 */
import { CodecError, NEED_MORE_DATA, needMoreData, type Codec, type CodecOptions, type DecodeResult, type LocalError, type Message, type MessageKind, type Mutation } from "../../codec/codec.ts";
import { ApplicationExceptionType, LOCAL_ERROR_EXCEPTION_TYPE, encodeApplicationException } from "./application-exception.ts";
import { readBinaryHeader, skipBinaryStruct } from "./protocol-binary.ts";
import { readCompactHeader, skipCompactStruct, varint32Size, writeVarint32 } from "./protocol-compact.ts";
import { FRAME_HEADER_SIZE, detectTransport } from "./transport.ts";
import { HEADER_SEQID_OFFSET, HeaderFrame, readHeaderFrame, withInfoHeaders } from "./transport-header.ts";
import { CALL, EXCEPTION, Header, MALFORMED, NEED_MORE, ONEWAY, REPLY, Scan, TOO_LARGE, type ProtocolKind, type TransportKind } from "./wire.ts";

export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

const KIND_BY_MESSAGE_TYPE: Record<number, MessageKind> = {
  [CALL]: "request",
  [REPLY]: "response",
  [EXCEPTION]: "error",
  [ONEWAY]: "oneway",
};

/** What encode and localReply need to know about a decoded message; offsets are relative to `frame`. */
export class ThriftDetail {
  constructor(
    readonly transport: TransportKind,
    readonly protocol: ProtocolKind,
    /** Binary: versioned header (true) or lax (false). Always true for compact. */
    readonly strict: boolean,
    readonly messageType: number,
    readonly method: string,
    /** The seqid currently in `frame`. */
    public seqid: number,
    /** Where the protocol header starts (after the frame length when framed). */
    readonly headerOffset: number,
    readonly seqidOffset: number,
    readonly seqidEnd: number,
    /** First byte of the body struct. */
    readonly bodyOffset: number,
    /** THeader: end of the info headers (where a mutation goes); 0 for other transports. */
    readonly infoEnd: number = 0,
    /**
     * THeader: the frame header's sequence number equalled the message seqid, so a seqid
     * rewrite updates both and they stay consistent; otherwise the header's number is left as
     * the peer wrote it (the peer will see it echoed back unchanged).
     */
    readonly headerSeqidFollows: boolean = false,
    /** THeader: the frame header's sequence number as received. */
    readonly headerSeqid: number = 0,
  ) {}
}

export class ThriftCodec implements Codec {
  readonly protocol = "thrift";
  /** Mutations handed to encode that framed/unframed transports have no header slot for. */
  mutationsIgnored = 0;

  private readonly maxFrameSize: number;
  private transport: TransportKind | undefined;
  private wireProtocol: ProtocolKind | undefined;
  private pendingNeed = 0;
  private readonly scan = new Scan();
  private readonly header = new Header();
  private readonly headerFrame = new HeaderFrame();

  constructor(options?: CodecOptions) {
    this.maxFrameSize = options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** The transport detected on this connection, undefined before the first message. */
  get detectedTransport(): TransportKind | undefined {
    return this.transport;
  }

  get detectedProtocol(): ProtocolKind | undefined {
    return this.wireProtocol;
  }

  decode(input: Buffer, offset: number): DecodeResult {
    const available = input.length - offset;
    if (available <= 0 || available < this.pendingNeed) return NEED_MORE_DATA;
    let transport = this.transport;
    let protocol = this.wireProtocol;
    if (transport === undefined || protocol === undefined) {
      const detected = detectTransport(input, offset);
      if (detected === undefined) return NEED_MORE_DATA;
      transport = detected.transport;
      protocol = detected.protocol;
    }
    const scan = this.scan;
    const header = this.header;
    let headerStart: number;
    let end: number;
    let frameInfo: HeaderFrame | undefined;
    if (transport !== "unframed") {
      // Framed and THeader: a length prefix bounds the message.
      if (available < FRAME_HEADER_SIZE) return this.needMore(FRAME_HEADER_SIZE);
      const length = input.readInt32BE(offset);
      if (length <= 0) return this.fail("malformed", `bad frame length ${length}`);
      if (length > this.maxFrameSize) return this.fail("too_large", `frame length ${length} exceeds maxFrameSize ${this.maxFrameSize}`);
      end = offset + FRAME_HEADER_SIZE + length;
      if (input.length < end) return this.needMore(FRAME_HEADER_SIZE + length);
      if (transport === "header") {
        frameInfo = this.headerFrame;
        if (input[offset + 4] !== 0x0f || input[offset + 5] !== 0xff) return this.fail("malformed", "THeader connection: frame without the 0x0FFF magic");
        if (!readHeaderFrame(input, offset, end, frameInfo)) return this.fail(frameInfo.unsupported ? "unsupported" : "malformed", frameInfo.reason);
        protocol = frameInfo.protocol;
        headerStart = frameInfo.payloadOffset;
      } else {
        headerStart = offset + FRAME_HEADER_SIZE;
      }
      scan.reset(end, end, MALFORMED);
      const r = protocol === "binary" ? readBinaryHeader(input, headerStart, scan, header) : readCompactHeader(input, headerStart, scan, header);
      if (r < 0) {
        const where = transport === "header" ? "THeader" : "framed";
        return this.fail("malformed", `${where} ${protocol}: ${r === NEED_MORE ? "frame ends inside the message header" : scan.reason}`);
      }
    } else {
      headerStart = offset;
      scan.reset(input.length, offset + this.maxFrameSize, TOO_LARGE);
      let r = protocol === "binary" ? readBinaryHeader(input, offset, scan, header) : readCompactHeader(input, offset, scan, header);
      if (r >= 0) r = protocol === "binary" ? skipBinaryStruct(input, r, scan, 1) : skipCompactStruct(input, r, scan, 1);
      if (r === NEED_MORE) return this.needMore(scan.need - offset);
      if (r < 0) return this.fail(r === TOO_LARGE ? "too_large" : "malformed", `unframed ${protocol}: ${scan.reason}`);
      end = r;
    }
    this.transport = transport;
    this.wireProtocol = protocol;
    this.pendingNeed = 0;
    const detail = new ThriftDetail(
      transport,
      protocol,
      header.strict,
      header.messageType,
      header.name,
      header.seqid,
      headerStart - offset,
      header.seqidOffset - offset,
      header.seqidEnd - offset,
      header.bodyOffset - offset,
      frameInfo === undefined ? 0 : frameInfo.infoEnd - offset,
      frameInfo !== undefined && frameInfo.seqid === header.seqid,
      frameInfo === undefined ? 0 : frameInfo.seqid,
    );
    const metadata: Map<string, string> = new Map();
    if (frameInfo !== undefined) for (const [key, value] of frameInfo.headers) metadata.set(key, value);
    const name = header.name;
    const colon = name.indexOf(":");
    if (colon < 0) metadata.set("method", name);
    else {
      metadata.set("service", name.slice(0, colon));
      metadata.set("method", name.slice(colon + 1));
    }
    const message: Message = {
      kind: KIND_BY_MESSAGE_TYPE[header.messageType]!,
      requestId: header.seqid,
      metadata,
      frame: input.subarray(offset, end),
      detail,
    };
    return { status: "message", message, consumed: end - offset };
  }

  /**
   * With no mutation and an unchanged requestId returns `message.frame`. A changed binary
   * seqid is written in place into `message.frame` (so encoding one message for two upstreams
   * with different ids needs a copy of the frame first); a changed compact seqid, whose varint
   * may change length, yields a new buffer: the original bytes with the seqid re-encoded. On
   * THeader a mutation yields a new frame with the mutation appended as info headers; elsewhere
   * it is counted in `mutationsIgnored`.
   */
  encode(message: Message, mutation?: Mutation): Buffer {
    const detail = message.detail;
    let mutate = mutation !== undefined && mutation.length > 0;
    if (mutate && !(detail instanceof ThriftDetail && detail.transport === "header")) {
      this.mutationsIgnored++;
      mutate = false;
    }
    if (!(detail instanceof ThriftDetail)) return message.frame;
    const seqid = message.requestId | 0;
    let frame = message.frame;
    if (seqid !== detail.seqid) frame = rewriteSeqid(frame, detail, seqid);
    if (mutate) frame = withInfoHeaders(frame, detail.infoEnd, detail.headerOffset, mutation!);
    return frame;
  }

  /** Counters a connection manager or the codec kit may report. */
  get counters(): Readonly<Record<string, number>> {
    return { mutationsIgnored: this.mutationsIgnored };
  }

  localReply(request: Message, error: LocalError): Buffer {
    const detail = request.detail instanceof ThriftDetail ? request.detail : undefined;
    const method = request.metadata.get("method") ?? detail?.method ?? "";
    return encodeApplicationException({
      transport: detail?.transport ?? this.transport ?? "framed",
      headerSeqid: detail === undefined || detail.headerSeqidFollows ? request.requestId : detail.headerSeqid,
      protocol: detail?.protocol ?? this.wireProtocol ?? "binary",
      strict: detail?.strict ?? true,
      method,
      seqid: request.requestId,
      message: `meshsim: ${error.kind}: ${error.message}`,
      type: LOCAL_ERROR_EXCEPTION_TYPE[error.kind] ?? ApplicationExceptionType.INTERNAL_ERROR,
    });
  }

  private needMore(bytesFromStart: number): DecodeResult {
    this.pendingNeed = bytesFromStart;
    return needMoreData(bytesFromStart);
  }

  private fail(code: CodecError["code"], reason: string): DecodeResult {
    this.pendingNeed = 0;
    return { status: "error", error: new CodecError(code, `thrift: ${reason}`) };
  }
}

/**
 * `frame` with the message seqid (and the THeader sequence number when it follows the seqid)
 * set to `seqid`. Binary: in place; compact (whose varint may change length): a new buffer, the
 * received bytes untouched.
 */
function rewriteSeqid(frame: Buffer, detail: ThriftDetail, seqid: number): Buffer {
  let out = frame;
  if (detail.protocol === "binary") {
    frame.writeInt32BE(seqid, detail.seqidOffset);
    detail.seqid = seqid;
  } else {
    out = Buffer.allocUnsafe(detail.seqidOffset + varint32Size(seqid) + frame.length - detail.seqidEnd);
    frame.copy(out, 0, 0, detail.seqidOffset);
    const pos = writeVarint32(out, detail.seqidOffset, seqid);
    frame.copy(out, pos, detail.seqidEnd);
    if (detail.transport !== "unframed") out.writeInt32BE(out.length - FRAME_HEADER_SIZE, 0);
  }
  if (detail.transport === "header" && detail.headerSeqidFollows) out.writeInt32BE(seqid, HEADER_SEQID_OFFSET);
  return out;
}
