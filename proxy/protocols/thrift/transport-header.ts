/*
 * THeader transport (Apache Thrift doc/specs/HeaderFormat.md), all integers big-endian:
 *
 *   frame      := i32 length ; u16 magic 0x0FFF ; u16 flags ; i32 seqid ; u16 header-words ;
 *                 header{header-words * 4} ; payload          (length counts everything after itself)
 *   header     := varint protocol-id ; varint transform-count ; varint transform-id{transform-count} ;
 *                 info* ; padding (zero bytes up to the 4-byte boundary)
 *   info       := varint info-id ; ...      1 = KEYVALUE, 2 = PERSISTENT KEYVALUE, both:
 *                 varint count ; (varint key-length ; key ; varint value-length ; value){count}
 *   payload    := one binary (protocol-id 0) or compact (protocol-id 2) message
 *
 * A zero info id is padding and ends the info section. Transforms (zlib, snappy) change the
 * payload bytes; they are refused as "unsupported" since the proxy could not read the method.
 * Info headers become routing metadata; a route's mutation is appended as one more KEYVALUE
 * section, which every reader applies after the existing ones, so a mutated key overrides.
 */
import type { Mutation } from "../../codec/codec.ts";
import type { ProtocolKind } from "./wire.ts";
import { writeVarint32 } from "./protocol-compact.ts";

export const HEADER_MAGIC = 0x0fff;
/** Bytes before the variable header: length, magic, flags, seqid, header-words. */
export const HEADER_FIXED_SIZE = 14;
export const HEADER_SEQID_OFFSET = 8;
const INFO_KEYVALUE = 1;
const INFO_PKEYVALUE = 2;
const PROTOCOL_BINARY = 0;
const PROTOCOL_COMPACT = 2;

/** True when the bytes at `offset` (at least six available) open a THeader frame. */
export function isHeaderFrame(input: Buffer, offset: number): boolean {
  return input[offset + 4] === HEADER_MAGIC >> 8 && input[offset + 5] === (HEADER_MAGIC & 0xff);
}

/** What readHeaderFrame found; offsets are absolute. Reused in place for every frame. */
export class HeaderFrame {
  protocol: ProtocolKind = "binary";
  seqid = 0;
  /** Info headers in wire order (a later duplicate key overrides an earlier one). */
  readonly headers: Array<[string, string]> = [];
  /** End of the last info section, before padding: where a mutation section is inserted. */
  infoEnd = 0;
  /** First byte of the payload (the protocol message). */
  payloadOffset = 0;
  reason = "";
  unsupported = false;
}

/**
 * Parses the fixed part and the header of a complete frame `[start, end)` (start = the length
 * field). Returns false with `out.reason` set (and `out.unsupported` for transforms or unknown
 * protocol ids) when the frame is malformed.
 */
export function readHeaderFrame(buf: Buffer, start: number, end: number, out: HeaderFrame): boolean {
  out.headers.length = 0;
  out.unsupported = false;
  if (end - start < HEADER_FIXED_SIZE) return fail(out, "THeader frame shorter than its fixed header");
  out.seqid = buf.readInt32BE(start + HEADER_SEQID_OFFSET);
  const headerEnd = start + HEADER_FIXED_SIZE + buf.readUInt16BE(start + 12) * 4;
  if (headerEnd > end) return fail(out, "THeader header size runs past the end of the frame");
  const cursor = new Cursor(buf, start + HEADER_FIXED_SIZE, headerEnd);
  const protocolId = cursor.varint();
  const transforms = cursor.varint();
  if (protocolId < 0 || transforms < 0) return fail(out, "THeader header truncated");
  if (protocolId === PROTOCOL_BINARY) out.protocol = "binary";
  else if (protocolId === PROTOCOL_COMPACT) out.protocol = "compact";
  else return unsupported(out, `THeader protocol id ${protocolId} (only binary 0 and compact 2)`);
  if (transforms > 0) return unsupported(out, `THeader transforms (${transforms}) are not supported`);
  let infoEnd = cursor.pos;
  while (cursor.pos < headerEnd) {
    const id = cursor.varint();
    if (id === 0) break;
    if (id !== INFO_KEYVALUE && id !== INFO_PKEYVALUE) break; // unknown info: the rest is opaque, as in the reference readers
    const count = cursor.varint();
    if (count < 0) return fail(out, "THeader info section truncated");
    for (let i = 0; i < count; i++) {
      const key = cursor.string();
      const value = key === undefined ? undefined : cursor.string();
      if (value === undefined) return fail(out, "THeader info header truncated");
      out.headers.push([key!, value]);
    }
    infoEnd = cursor.pos;
  }
  out.infoEnd = infoEnd;
  out.payloadOffset = headerEnd;
  return true;
}

function fail(out: HeaderFrame, reason: string): false {
  out.reason = reason;
  return false;
}

function unsupported(out: HeaderFrame, reason: string): false {
  out.unsupported = true;
  return fail(out, reason);
}

/** Bounded varint/string reader over the header; -1 / undefined past the bound. */
class Cursor {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) return -1;
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value > 0x7fffffff ? -1 : value;
    }
    return -1;
  }

  string(): string | undefined {
    const length = this.varint();
    if (length < 0 || this.pos + length > this.end) return undefined;
    const s = this.buf.toString("utf8", this.pos, this.pos + length);
    this.pos += length;
    return s;
  }
}

function varintSize(value: number): number {
  let n = 1;
  for (let v = value >>> 0; v >= 0x80; v >>>= 7) n++;
  return n;
}

/**
 * A copy of `frame` (a whole THeader frame from its length field) with `mutation` appended as a
 * KEYVALUE info section at `infoEnd`; `payloadOffset` is where the payload starts. Both offsets
 * are relative to `frame`.
 */
export function withInfoHeaders(frame: Buffer, infoEnd: number, payloadOffset: number, mutation: Mutation): Buffer {
  const pairs = mutation.map(({ key, value }) => [Buffer.from(key, "utf8"), Buffer.from(value, "utf8")] as const);
  let sectionSize = varintSize(INFO_KEYVALUE) + varintSize(pairs.length);
  for (const [k, v] of pairs) sectionSize += varintSize(k.length) + k.length + varintSize(v.length) + v.length;
  const unpadded = infoEnd - HEADER_FIXED_SIZE + sectionSize;
  const headerSize = Math.ceil(unpadded / 4) * 4;
  if (headerSize / 4 > 0xffff) throw new RangeError("THeader header would exceed 262140 bytes");
  const payloadLength = frame.length - payloadOffset;
  const out = Buffer.alloc(HEADER_FIXED_SIZE + headerSize + payloadLength);
  frame.copy(out, 0, 0, infoEnd);
  let pos = writeVarint32(out, infoEnd, INFO_KEYVALUE);
  pos = writeVarint32(out, pos, pairs.length);
  for (const [k, v] of pairs) {
    pos = writeVarint32(out, pos, k.length);
    pos += k.copy(out, pos);
    pos = writeVarint32(out, pos, v.length);
    pos += v.copy(out, pos);
  }
  // Buffer.alloc zero-filled the padding.
  frame.copy(out, HEADER_FIXED_SIZE + headerSize, payloadOffset);
  out.writeInt32BE(out.length - 4, 0);
  out.writeUInt16BE(headerSize / 4, 12);
  return out;
}

/** Wraps one protocol message (`payload`) in a THeader frame without info headers. */
export function wrapInHeaderFrame(payload: Buffer, protocol: ProtocolKind, seqid: number): Buffer {
  const out = Buffer.alloc(HEADER_FIXED_SIZE + 4 + payload.length);
  out.writeInt32BE(out.length - 4, 0);
  out.writeUInt16BE(HEADER_MAGIC, 4);
  out.writeInt32BE(seqid | 0, HEADER_SEQID_OFFSET);
  out.writeUInt16BE(1, 12);
  out[HEADER_FIXED_SIZE] = protocol === "binary" ? PROTOCOL_BINARY : PROTOCOL_COMPACT;
  // transform count 0 and two padding bytes are already zero.
  payload.copy(out, HEADER_FIXED_SIZE + 4);
  return out;
}
