/*
 * Thrift compact protocol:
 *
 *   message     := 0x82 ; u8 (type << 5 | version 1) ; varint32 seqid ; varint32 name-length ; name ; body
 *   body        := struct
 *   struct      := field* ; u8 0 (STOP)
 *   field       := u8 (delta << 4 | type) [; zigzag-varint i16 field-id when delta = 0] ; value
 *                  (BOOLEAN_TRUE / BOOLEAN_FALSE field types carry the value: no value bytes)
 *   value       := byte:u8 | i16, i32, i64: zigzag varint | double: 8 bytes LE | uuid: 16 bytes
 *                | binary | struct | list | set | map
 *   binary      := varint32 length ; length bytes
 *   list | set  := u8 (size << 4 | element-type) [; varint32 size when the nibble is 15] ; value{size}
 *                  (bool elements are one byte each)
 *   map         := varint32 size ; [u8 (key-type << 4 | value-type) when size > 0] ; (key value){size}
 *
 * Type ids: BOOLEAN_TRUE 1, BOOLEAN_FALSE 2, BYTE 3, I16 4, I32 5, I64 6, DOUBLE 7, BINARY 8,
 * LIST 9, SET 10, MAP 11, STRUCT 12, UUID 13. The seqid varint is the i32's unsigned 32-bit
 * value (not zigzag), so a negative seqid takes five bytes.
 */
import { type Header, MAX_DEPTH, MAX_NAME_LENGTH, type Scan, isMessageType } from "./wire.ts";

export const COMPACT_PROTOCOL_ID = 0x82;
const COMPACT_VERSION = 1;

const C_BOOLEAN_TRUE = 1;
const C_BOOLEAN_FALSE = 2;
const C_BYTE = 3;
const C_I16 = 4;
const C_I32 = 5;
const C_I64 = 6;
const C_DOUBLE = 7;
const C_BINARY = 8;
const C_LIST = 9;
const C_SET = 10;
const C_MAP = 11;
const C_STRUCT = 12;
const C_UUID = 13;

/**
 * Reads a varint of at most `maxBytes` bytes at `pos`; the low 32 bits land in `scan.value`
 * (unsigned). Returns the position after it or a negative code.
 */
function readVarint(buf: Buffer, pos: number, maxBytes: number, scan: Scan): number {
  let value = 0;
  for (let i = 0; ; i++) {
    if (i === maxBytes) return scan.fail("varint too long");
    const r = scan.ensure(pos, 1);
    if (r < 0) return r;
    const b = buf[pos++]!;
    if (i < 5) value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) break;
  }
  scan.value = value % 0x1_0000_0000;
  return pos;
}

/** Reads a message header at `pos` into `out` (absolute offsets). Same results as the binary reader. */
export function readCompactHeader(buf: Buffer, pos: number, scan: Scan, out: Header): number {
  let r = scan.ensure(pos, 2);
  if (r < 0) return r;
  if (buf[pos] !== COMPACT_PROTOCOL_ID) return scan.fail(`bad compact protocol id 0x${buf[pos]!.toString(16)}`);
  const versionAndType = buf[pos + 1]!;
  if ((versionAndType & 0x1f) !== COMPACT_VERSION) return scan.fail(`bad compact protocol version ${versionAndType & 0x1f}`);
  const type = versionAndType >> 5;
  if (!isMessageType(type)) return scan.fail(`unknown message type ${type}`);
  const seqidOffset = pos + 2;
  const seqidEnd = readVarint(buf, seqidOffset, 5, scan);
  if (seqidEnd < 0) return seqidEnd;
  const seqid = scan.value | 0;
  const nameStart = readVarint(buf, seqidEnd, 5, scan);
  if (nameStart < 0) return nameStart;
  const nameLength = scan.value;
  if (nameLength > MAX_NAME_LENGTH) return scan.fail(`bad method name length ${nameLength | 0}`);
  r = scan.ensure(nameStart, nameLength);
  if (r < 0) return r;
  out.strict = true;
  out.messageType = type;
  out.name = buf.toString("utf8", nameStart, nameStart + nameLength);
  out.seqid = seqid;
  out.seqidOffset = seqidOffset;
  out.seqidEnd = seqidEnd;
  out.bodyOffset = nameStart + nameLength;
  return out.bodyOffset;
}

export function varint32Size(value: number): number {
  let v = value >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes the i32 `value` as an unsigned varint; returns the position after it. */
export function writeVarint32(buf: Buffer, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** The two bytes that open a compact message of `type`. */
export function writeCompactPreamble(buf: Buffer, pos: number, type: number): number {
  buf[pos] = COMPACT_PROTOCOL_ID;
  buf[pos + 1] = (type << 5) | COMPACT_VERSION;
  return pos + 2;
}

export function compactHeaderSize(nameLength: number, seqid: number): number {
  return 2 + varint32Size(seqid) + varint32Size(nameLength) + nameLength;
}

export function writeCompactHeader(buf: Buffer, pos: number, type: number, name: Buffer, seqid: number): number {
  pos = writeCompactPreamble(buf, pos, type);
  pos = writeVarint32(buf, pos, seqid);
  pos = writeVarint32(buf, pos, name.length);
  name.copy(buf, pos);
  return pos + name.length;
}

/** Skips a struct from its first field header; returns the position after STOP or a negative code. */
export function skipCompactStruct(buf: Buffer, pos: number, scan: Scan, depth: number): number {
  if (depth > MAX_DEPTH) return scan.fail(`nesting deeper than ${MAX_DEPTH}`);
  for (;;) {
    const r = scan.ensure(pos, 1);
    if (r < 0) return r;
    const b = buf[pos++]!;
    if (b === 0) return pos;
    const type = b & 0x0f;
    if (b >> 4 === 0) {
      pos = readVarint(buf, pos, 3, scan);
      if (pos < 0) return pos;
    }
    if (type === C_BOOLEAN_TRUE || type === C_BOOLEAN_FALSE) continue;
    pos = skipCompactValue(buf, pos, type, scan, depth);
    if (pos < 0) return pos;
  }
}

function skipCompactValue(buf: Buffer, pos: number, type: number, scan: Scan, depth: number): number {
  let r: number;
  switch (type) {
    case C_BOOLEAN_TRUE:
    case C_BOOLEAN_FALSE:
    case C_BYTE:
      r = scan.ensure(pos, 1);
      return r < 0 ? r : pos + 1;
    case C_I16:
      return readVarint(buf, pos, 3, scan);
    case C_I32:
      return readVarint(buf, pos, 5, scan);
    case C_I64:
      return readVarint(buf, pos, 10, scan);
    case C_DOUBLE:
      r = scan.ensure(pos, 8);
      return r < 0 ? r : pos + 8;
    case C_UUID:
      r = scan.ensure(pos, 16);
      return r < 0 ? r : pos + 16;
    case C_BINARY: {
      pos = readVarint(buf, pos, 5, scan);
      if (pos < 0) return pos;
      const length = scan.value;
      if (length > 0x7fffffff) return scan.fail(`negative binary length ${length | 0}`);
      r = scan.ensure(pos, length);
      return r < 0 ? r : pos + length;
    }
    case C_STRUCT:
      return skipCompactStruct(buf, pos, scan, depth + 1);
    case C_LIST:
    case C_SET: {
      r = scan.ensure(pos, 1);
      if (r < 0) return r;
      const b = buf[pos++]!;
      const elementType = b & 0x0f;
      let size = b >> 4;
      if (size === 15) {
        pos = readVarint(buf, pos, 5, scan);
        if (pos < 0) return pos;
        size = scan.value;
      }
      return skipElements(buf, pos, elementType, -1, size, scan, depth);
    }
    case C_MAP: {
      pos = readVarint(buf, pos, 5, scan);
      if (pos < 0) return pos;
      const size = scan.value;
      if (size === 0) return pos;
      r = scan.ensure(pos, 1);
      if (r < 0) return r;
      const kv = buf[pos]!;
      return skipElements(buf, pos + 1, kv >> 4, kv & 0x0f, size, scan, depth);
    }
    default:
      return scan.fail(`unknown compact type id ${type}`);
  }
}

function skipElements(buf: Buffer, pos: number, keyType: number, valueType: number, size: number, scan: Scan, depth: number): number {
  if (size > 0x7fffffff) return scan.fail(`negative container size ${size | 0}`);
  if (size === 0) return pos;
  if (depth + 1 > MAX_DEPTH) return scan.fail(`nesting deeper than ${MAX_DEPTH}`);
  // Every element takes at least one byte: a size past the limit is refused before looping.
  const r = scan.ensure(pos, size);
  if (r < 0) return r;
  for (let i = 0; i < size; i++) {
    pos = skipCompactValue(buf, pos, keyType, scan, depth + 1);
    if (pos < 0) return pos;
    if (valueType >= 0) {
      pos = skipCompactValue(buf, pos, valueType, scan, depth + 1);
      if (pos < 0) return pos;
    }
  }
  return pos;
}
