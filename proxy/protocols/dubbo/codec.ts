/**
 * The Dubbo codec (dubbo protocol over TCP, hessian2 bodies). Wire grammars: header.ts (frame
 * header, request ids), body.ts (request body and attachments), status.ts (response status and
 * result types), hessian2/ (values).
 *
 * - Requests are read up to the attachments: service path, version, method and every string
 *   attachment become metadata; arguments are skipped, not built.
 * - Responses are not read beyond the header (kind from the status) unless a response mutation
 *   needs the attachments slot.
 * - Events (a heartbeat is an event request with a null body) are kind "heartbeat" and are never
 *   routed: they keep one TCP link alive, and upstream links are shared, so the proxy answers a
 *   heartbeat itself with `heartbeatReply` instead of forwarding it.
 * - Local replies use a non-OK status with the error text as the body, which both the Java
 *   consumer and apache-dubbo-js surface as an error carrying that text.
 */
import { CodecError, NEED_MORE_DATA, needMoreData, type Codec, type CodecOptions, type DecodeResult, type LocalError, type Message, type MessageKind, type Mutation } from "../../codec/codec.ts";
import { HessianFormatError, HessianReader } from "./hessian2/reader.ts";
import { HessianWriter } from "./hessian2/writer.ts";
import { readAttachments, readRequestBody, type AttachmentEntry } from "./body.ts";
import {
  BODY_LENGTH_OFFSET,
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWOWAY,
  HEADER_SIZE,
  HESSIAN2_SERIALIZATION_ID,
  MAGIC_HIGH,
  MAGIC_LOW,
  REQUEST_ID_OFFSET,
  SERIALIZATION_MASK,
  readRequestId,
  StandInIds,
  wideIdAt,
  type WideId,
  writeHeader,
  writeRequestId,
} from "./header.ts";
import { LOCAL_ERROR_STATUS, ResponseStatus, ResultType } from "./status.ts";

/** Dubbo's own default payload limit (8 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 8 * 1024 * 1024;

/**
 * What encode, localReply and heartbeatReply need to know about a decoded message. Plain data
 * with own properties only, so a copy made with `{ ...detail }` (as the proxy does to mirror a
 * request) still works.
 */
export interface DubboDetail {
  readonly codec: "dubbo";
  /** Header byte 2: request, two-way and event flags, serialization id. */
  readonly flags: number;
  /** Header byte 3 (meaningful for responses). */
  readonly status: number;
  /** The request id currently in `frame`. */
  requestId: number;
  /** Requests: offset in the frame where the attachments map starts (frame length when absent); -1 otherwise. */
  readonly attachmentsOffset: number;
  /** OK hessian2 responses: the result type (status.ts ResultType); -1 otherwise. */
  readonly resultType: number;
  /** Two-way requests whose id does not fit a number exactly (Dubbo 3 starts at a random long): its bytes, restored in replies. */
  readonly wideId?: WideId | undefined;
}

export function isDubboDetail(detail: unknown): detail is DubboDetail {
  return typeof detail === "object" && detail !== null && (detail as { codec?: unknown }).codec === "dubbo";
}

export class DubboCodec implements Codec {
  readonly protocol = "dubbo";
  /** Mutations encode could not apply: non-OK or non-hessian2 responses have no attachments slot. */
  mutationsIgnored = 0;

  /** The codec kit's per-connection counters. */
  get counters(): Readonly<Record<string, number>> {
    return { mutationsIgnored: this.mutationsIgnored };
  }

  private readonly maxFrameSize: number;
  private readonly reader = new HessianReader();
  private readonly writer = new HessianWriter(512);
  private readonly standIns = new StandInIds();

  constructor(options?: CodecOptions) {
    this.maxFrameSize = options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  decode(input: Buffer, offset: number): DecodeResult {
    const available = input.length - offset;
    if (available <= 0) return NEED_MORE_DATA;
    if (input[offset] !== MAGIC_HIGH || (available > 1 && input[offset + 1] !== MAGIC_LOW)) {
      return fail("malformed", `bad magic 0x${input.subarray(offset, offset + 2).toString("hex")}, expected 0xdabb`);
    }
    if (available < HEADER_SIZE) return NEED_MORE_DATA;
    const bodyLength = input.readInt32BE(offset + BODY_LENGTH_OFFSET);
    if (bodyLength < 0) return fail("malformed", `negative body length ${bodyLength}`);
    if (HEADER_SIZE + bodyLength > this.maxFrameSize) {
      return fail("too_large", `frame of ${HEADER_SIZE + bodyLength} bytes exceeds maxFrameSize ${this.maxFrameSize}`);
    }
    const end = offset + HEADER_SIZE + bodyLength;
    if (input.length < end) return needMoreData(HEADER_SIZE + bodyLength);

    const frame = input.subarray(offset, end);
    const flags = frame[2]!;
    const status = frame[3]!;
    // Only two-way requests get their wide ids restored; everything else keeps its frame bytes.
    const wideId = (flags & (FLAG_REQUEST | FLAG_TWOWAY | FLAG_EVENT)) === (FLAG_REQUEST | FLAG_TWOWAY) ? wideIdAt(frame, REQUEST_ID_OFFSET) : undefined;
    const requestId = wideId !== undefined ? this.standIns.take() : readRequestId(frame, REQUEST_ID_OFFSET);
    const serialization = flags & SERIALIZATION_MASK;
    const metadata: Map<string, string> = new Map();
    let kind: MessageKind;
    let attachmentsOffset = -1;
    let resultType = -1;
    try {
      if (flags & FLAG_EVENT) {
        kind = "heartbeat";
        metadata.set("event", this.eventName(frame, serialization));
      } else if (flags & FLAG_REQUEST) {
        if (serialization !== HESSIAN2_SERIALIZATION_ID) {
          return fail("unsupported", `serialization id ${serialization} (only hessian2, id 2, is read)`);
        }
        kind = flags & FLAG_TWOWAY ? "request" : "oneway";
        attachmentsOffset = readRequestBody(this.reader.reset(frame, HEADER_SIZE, frame.length), metadata);
      } else if (status !== ResponseStatus.OK) {
        kind = "error";
      } else {
        kind = "response";
        if (serialization === HESSIAN2_SERIALIZATION_ID && bodyLength > 0) {
          const t = frame[HEADER_SIZE]!;
          if (t >= 0x90 && t <= 0x95) resultType = t - 0x90;
        }
      }
    } catch (err) {
      if (err instanceof HessianFormatError) return fail("malformed", err.message);
      return fail("malformed", String(err));
    }
    const detail: DubboDetail = { codec: "dubbo", flags, status, requestId, attachmentsOffset, resultType, ...(wideId !== undefined && { wideId }) };
    const message: Message = { kind, requestId, metadata, frame, detail };
    return { status: "message", message, consumed: end - offset };
  }

  /**
   * With no mutation returns `message.frame`, a changed requestId written into it in place. A
   * mutation yields a new buffer: the header and the body up to the attachments copied as bytes,
   * then a re-encoded attachments map (entries the mutation does not name copied as bytes, then
   * the mutation's pairs), with the body length fixed up. A response without an attachments map
   * (result type VALUE, NULL_VALUE, WITH_EXCEPTION) is given one by moving to the *_WITH_ATTACHMENTS
   * type. Non-OK and non-hessian2 responses have no slot: the mutation is counted in
   * `mutationsIgnored` and the frame passes through.
   */
  encode(message: Message, mutation?: Mutation): Buffer {
    const detail = message.detail;
    const frame = message.frame;
    if (!isDubboDetail(detail)) return frame;
    if (mutation !== undefined && mutation.length > 0) {
      const rewritten = this.withMutation(frame, detail, mutation);
      if (rewritten !== undefined) {
        if (message.requestId !== detail.requestId) writeRequestId(rewritten, REQUEST_ID_OFFSET, message.requestId);
        return rewritten;
      }
      this.mutationsIgnored++;
    }
    if (message.requestId !== detail.requestId) {
      writeRequestId(frame, REQUEST_ID_OFFSET, message.requestId);
      detail.requestId = message.requestId;
    }
    return frame;
  }

  /** A response with a non-OK status (see status.ts) and `meshsim: <kind>: <message>` as its body. */
  localReply(request: Message, error: LocalError): Buffer {
    const detail = isDubboDetail(request.detail) ? request.detail : undefined;
    const status = LOCAL_ERROR_STATUS[error.kind] ?? ResponseStatus.SERVICE_ERROR;
    const body = this.writer.reset().string(`meshsim: ${error.kind}: ${error.message}`).bytes();
    const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
    writeHeader(out, HESSIAN2_SERIALIZATION_ID, status, body.length);
    this.writeReplyId(out, request, detail);
    body.copy(out, HEADER_SIZE);
    return out;
  }

  /**
   * The answer to a two-way event request (a heartbeat): an event response, status OK, the same
   * request id and serialization, and the request's own body (a null in its serialization).
   * Undefined for anything else (oneway events such as READONLY, event responses, requests).
   */
  heartbeatReply(message: Message): Buffer | undefined {
    const detail = message.detail;
    if (!isDubboDetail(detail)) return undefined;
    const f = detail.flags;
    if ((f & FLAG_EVENT) === 0 || (f & FLAG_REQUEST) === 0 || (f & FLAG_TWOWAY) === 0) return undefined;
    const frame = message.frame;
    const out = Buffer.allocUnsafe(frame.length);
    writeHeader(out, (f & SERIALIZATION_MASK) | FLAG_EVENT, ResponseStatus.OK, frame.length - HEADER_SIZE);
    this.writeReplyId(out, message, detail);
    frame.copy(out, HEADER_SIZE, HEADER_SIZE);
    return out;
  }

  /** A wide id's own bytes; else the received id bytes when the id is unchanged; else the id. */
  private writeReplyId(out: Buffer, request: Message, detail: DubboDetail | undefined): void {
    if (detail?.wideId !== undefined) writeRequestId(out, REQUEST_ID_OFFSET, detail.wideId);
    else if (detail !== undefined && request.requestId === detail.requestId) request.frame.copy(out, REQUEST_ID_OFFSET, REQUEST_ID_OFFSET, REQUEST_ID_OFFSET + 8);
    else writeRequestId(out, REQUEST_ID_OFFSET, request.requestId);
  }

  /** A reply to a request with a wide id carries that id's bytes (the reply was encoded with its stand-in). */
  restoreRequestId(reply: Buffer, request: Message): void {
    const wideId = isDubboDetail(request.detail) ? request.detail.wideId : undefined;
    if (wideId !== undefined) writeRequestId(reply, REQUEST_ID_OFFSET, wideId);
  }

  private eventName(frame: Buffer, serialization: number): string {
    if (frame.length === HEADER_SIZE || (frame.length === HEADER_SIZE + 1 && frame[HEADER_SIZE] === 0x4e)) return "heartbeat";
    if (serialization !== HESSIAN2_SERIALIZATION_ID) return "event";
    const r = this.reader.reset(frame, HEADER_SIZE, frame.length);
    const tag = r.peek();
    if (tag === 0x4e) return "heartbeat";
    try {
      return r.readString() ?? "heartbeat";
    } catch {
      return "event";
    }
  }

  private withMutation(frame: Buffer, detail: DubboDetail, mutation: Mutation): Buffer | undefined {
    const f = detail.flags;
    if ((f & SERIALIZATION_MASK) !== HESSIAN2_SERIALIZATION_ID || (f & FLAG_EVENT) !== 0) return undefined;
    const r = this.reader.reset(frame, HEADER_SIZE, frame.length);
    let mapStart: number;
    let resultTypeByte = -1;
    try {
      if ((f & FLAG_REQUEST) !== 0) {
        mapStart = detail.attachmentsOffset;
      } else {
        if (detail.status !== ResponseStatus.OK || detail.resultType < 0) return undefined;
        r.pos++; // the one-byte result type
        const t = detail.resultType;
        if (t !== ResultType.NULL_VALUE && t !== ResultType.NULL_VALUE_WITH_ATTACHMENTS) r.skipValue();
        mapStart = r.pos;
        if (t < ResultType.WITH_EXCEPTION_WITH_ATTACHMENTS) resultTypeByte = 0x90 + t + 3;
      }
      const entries: AttachmentEntry[] = [];
      if (resultTypeByte < 0) {
        r.pos = mapStart;
        readAttachments(r, undefined, entries);
      }
      const w = this.writer.reset();
      w.raw(frame, 0, mapStart);
      if (resultTypeByte >= 0) w.bytes()[HEADER_SIZE] = resultTypeByte;
      w.byte(0x48);
      for (const e of entries) if (!mutation.some((m) => m.key === e.key)) w.raw(frame, e.start, e.end);
      for (let i = 0; i < mutation.length; i++) {
        const m = mutation[i]!;
        let last = true;
        for (let j = i + 1; j < mutation.length; j++) if (mutation[j]!.key === m.key) last = false;
        if (last) w.string(m.key).string(m.value);
      }
      w.byte(0x5a);
      const out = Buffer.from(w.bytes());
      out.writeInt32BE(out.length - HEADER_SIZE, BODY_LENGTH_OFFSET);
      return out;
    } catch {
      return undefined;
    }
  }
}

function fail(code: "malformed" | "too_large" | "unsupported", reason: string): DecodeResult {
  return { status: "error", error: new CodecError(code, `dubbo: ${reason}`) };
}
