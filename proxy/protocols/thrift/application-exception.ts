/*
 * TApplicationException, sent as the body of an EXCEPTION message:
 *
 *   struct TApplicationException { 1: string message, 2: i32 type }
 *
 *   binary:  0x0b 0x0001 i32-len message-bytes ; 0x08 0x0002 i32-type ; 0x00
 *   compact: 0x18 varint-len message-bytes     ; 0x15 zigzag-varint-type ; 0x00
 */
import type { LocalErrorKind } from "../../codec/codec.ts";
import { binaryHeaderSize, writeBinaryHeader } from "./protocol-binary.ts";
import { compactHeaderSize, varint32Size, writeCompactHeader, writeVarint32 } from "./protocol-compact.ts";
import { FRAME_HEADER_SIZE } from "./transport.ts";
import { wrapInHeaderFrame } from "./transport-header.ts";
import { EXCEPTION, type ProtocolKind, type TransportKind } from "./wire.ts";

/** TApplicationException.type values. */
export const ApplicationExceptionType = {
  UNKNOWN: 0,
  UNKNOWN_METHOD: 1,
  INVALID_MESSAGE_TYPE: 2,
  WRONG_METHOD_NAME: 3,
  BAD_SEQUENCE_ID: 4,
  MISSING_RESULT: 5,
  INTERNAL_ERROR: 6,
  PROTOCOL_ERROR: 7,
} as const;

/** Which exception type a proxy-local failure is reported as; kinds not listed are INTERNAL_ERROR. */
export const LOCAL_ERROR_EXCEPTION_TYPE: Readonly<Partial<Record<LocalErrorKind, number>>> = {
  no_route: ApplicationExceptionType.UNKNOWN_METHOD,
  no_cluster: ApplicationExceptionType.INTERNAL_ERROR,
  no_healthy_endpoint: ApplicationExceptionType.INTERNAL_ERROR,
  upstream_failure: ApplicationExceptionType.INTERNAL_ERROR,
  timeout: ApplicationExceptionType.INTERNAL_ERROR,
  rate_limited: ApplicationExceptionType.INTERNAL_ERROR,
  fault_abort: ApplicationExceptionType.INTERNAL_ERROR,
  overflow: ApplicationExceptionType.INTERNAL_ERROR,
  unauthorized: ApplicationExceptionType.INTERNAL_ERROR,
};

export interface ApplicationExceptionReply {
  transport: TransportKind;
  protocol: ProtocolKind;
  /** Binary only: versioned (strict) or lax header. */
  strict: boolean;
  method: string;
  seqid: number;
  message: string;
  type: number;
  /** THeader only: the sequence number for the frame header (default: `seqid`). */
  headerSeqid?: number;
}

/** A whole EXCEPTION message (with frame length when framed, in a THeader frame for header) carrying a TApplicationException. */
export function encodeApplicationException(reply: ApplicationExceptionReply): Buffer {
  if (reply.transport === "header") {
    const message = encodeApplicationException({ ...reply, transport: "unframed" });
    return wrapInHeaderFrame(message, reply.protocol, reply.headerSeqid ?? reply.seqid);
  }
  const name = Buffer.from(reply.method, "utf8");
  const text = Buffer.from(reply.message, "utf8");
  const framed = reply.transport === "framed";
  const prefix = framed ? FRAME_HEADER_SIZE : 0;
  let buf: Buffer;
  let pos: number;
  if (reply.protocol === "binary") {
    const size = binaryHeaderSize(reply.strict, name.length) + 3 + 4 + text.length + 3 + 4 + 1;
    buf = Buffer.allocUnsafe(prefix + size);
    pos = writeBinaryHeader(buf, prefix, reply.strict, EXCEPTION, name, reply.seqid);
    buf[pos++] = 11;
    pos = buf.writeInt16BE(1, pos);
    pos = buf.writeInt32BE(text.length, pos);
    pos += text.copy(buf, pos);
    buf[pos++] = 8;
    pos = buf.writeInt16BE(2, pos);
    pos = buf.writeInt32BE(reply.type | 0, pos);
    buf[pos++] = 0;
  } else {
    const zigzagType = ((reply.type << 1) ^ (reply.type >> 31)) >>> 0;
    const size = compactHeaderSize(name.length, reply.seqid) + 1 + varint32Size(text.length) + text.length + 1 + varint32Size(zigzagType) + 1;
    buf = Buffer.allocUnsafe(prefix + size);
    pos = writeCompactHeader(buf, prefix, EXCEPTION, name, reply.seqid);
    buf[pos++] = 0x18;
    pos = writeVarint32(buf, pos, text.length);
    pos += text.copy(buf, pos);
    buf[pos++] = 0x15;
    pos = writeVarint32(buf, pos, zigzagType);
    buf[pos++] = 0;
  }
  if (framed) buf.writeInt32BE(pos - FRAME_HEADER_SIZE, 0);
  return pos === buf.length ? buf : buf.subarray(0, pos);
}
