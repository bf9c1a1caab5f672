/*
 * Thrift binary protocol (all integers big-endian):
 *
 *   message        := strict-header | lax-header ; body
 *   strict-header  := i32 (0x80010000 | type) ; string name ; i32 seqid
 *   lax-header     := string name ; i8 type ; i32 seqid
 *   body           := struct
 *   struct         := ( i8 field-type ; i16 field-id ; value )* ; i8 0 (STOP)
 *   value          := bool:i8 | byte:i8 | i16 | i32 | i64 | double:8 bytes | uuid:16 bytes
 *                   | string | struct | map | set | list
 *   string         := i32 length ; length bytes          (binary is the same on the wire)
 *   map            := i8 key-type ; i8 value-type ; i32 size ; (key value){size}
 *   set | list     := i8 element-type ; i32 size ; value{size}
 *
 * Type ids: BOOL 2, BYTE 3, DOUBLE 4, I16 6, I32 8, I64 10, STRING 11, STRUCT 12, MAP 13,
 * SET 14, LIST 15, UUID 16. A first i32 that is negative is a strict version word; a
 * non-negative one is the lax name length.
 */
import { type Header, MAX_DEPTH, MAX_NAME_LENGTH, type Scan, isMessageType } from "./wire.ts";

const T_STOP = 0;
const T_BOOL = 2;
const T_BYTE = 3;
const T_DOUBLE = 4;
const T_I16 = 6;
const T_I32 = 8;
const T_I64 = 10;
const T_STRING = 11;
const T_STRUCT = 12;
const T_MAP = 13;
const T_SET = 14;
const T_LIST = 15;
const T_UUID = 16;

const VERSION_MASK = 0xffff0000 | 0;
const VERSION_1 = 0x80010000 | 0;

/** Wire width of a fixed-size type, 0 for variable-size types, -1 for unknown ids. */
function fixedWidth(type: number): number {
  switch (type) {
    case T_BOOL:
    case T_BYTE:
      return 1;
    case T_I16:
      return 2;
    case T_I32:
      return 4;
    case T_DOUBLE:
    case T_I64:
      return 8;
    case T_UUID:
      return 16;
    case T_STRING:
    case T_STRUCT:
    case T_MAP:
    case T_SET:
    case T_LIST:
      return 0;
    default:
      return -1;
  }
}

/**
 * Reads a strict or lax header at `pos` into `out`; offsets in `out` are absolute. Returns the
 * body position, or NEED_MORE / MALFORMED / TOO_LARGE as recorded in `scan`. Reads nothing
 * beyond the header.
 */
export function readBinaryHeader(buf: Buffer, pos: number, scan: Scan, out: Header): number {
  let r = scan.ensure(pos, 4);
  if (r < 0) return r;
  const first = buf.readInt32BE(pos);
  if (first < 0) {
    if ((first & VERSION_MASK) !== VERSION_1) return scan.fail(`bad binary protocol version 0x${(first >>> 0).toString(16)}`);
    const type = first & 0xff;
    if (!isMessageType(type)) return scan.fail(`unknown message type ${type}`);
    r = scan.ensure(pos + 4, 4);
    if (r < 0) return r;
    const nameLength = buf.readInt32BE(pos + 4);
    if (nameLength < 0 || nameLength > MAX_NAME_LENGTH) return scan.fail(`bad method name length ${nameLength}`);
    const nameStart = pos + 8;
    r = scan.ensure(nameStart, nameLength + 4);
    if (r < 0) return r;
    const seqidOffset = nameStart + nameLength;
    out.strict = true;
    out.messageType = type;
    out.name = buf.toString("utf8", nameStart, seqidOffset);
    out.seqid = buf.readInt32BE(seqidOffset);
    out.seqidOffset = seqidOffset;
    out.seqidEnd = seqidOffset + 4;
    out.bodyOffset = seqidOffset + 4;
    return out.bodyOffset;
  }
  const nameLength = first;
  if (nameLength > MAX_NAME_LENGTH) return scan.fail(`bad method name length ${nameLength}`);
  const nameStart = pos + 4;
  r = scan.ensure(nameStart, nameLength + 5);
  if (r < 0) return r;
  const typeOffset = nameStart + nameLength;
  const type = buf[typeOffset]!;
  if (!isMessageType(type)) return scan.fail(`unknown message type ${type}`);
  out.strict = false;
  out.messageType = type;
  out.name = buf.toString("utf8", nameStart, typeOffset);
  out.seqid = buf.readInt32BE(typeOffset + 1);
  out.seqidOffset = typeOffset + 1;
  out.seqidEnd = typeOffset + 5;
  out.bodyOffset = typeOffset + 5;
  return out.bodyOffset;
}

/** Bytes a header for `nameLength` bytes of name takes. */
export function binaryHeaderSize(strict: boolean, nameLength: number): number {
  return (strict ? 12 : 9) + nameLength;
}

/** Writes a header at `pos`; returns the position after it. `strict` picks the versioned form. */
export function writeBinaryHeader(buf: Buffer, pos: number, strict: boolean, type: number, name: Buffer, seqid: number): number {
  if (strict) {
    buf.writeInt32BE(VERSION_1 | type, pos);
    buf.writeInt32BE(name.length, pos + 4);
    name.copy(buf, pos + 8);
    buf.writeInt32BE(seqid | 0, pos + 8 + name.length);
    return pos + 12 + name.length;
  }
  buf.writeInt32BE(name.length, pos);
  name.copy(buf, pos + 4);
  buf[pos + 4 + name.length] = type;
  buf.writeInt32BE(seqid | 0, pos + 5 + name.length);
  return pos + 9 + name.length;
}

/**
 * Skips a struct starting at `pos` (its first field header). Returns the position after its
 * STOP byte, or NEED_MORE / MALFORMED / TOO_LARGE as recorded in `scan`.
 */
export function skipBinaryStruct(buf: Buffer, pos: number, scan: Scan, depth: number): number {
  if (depth > MAX_DEPTH) return scan.fail(`nesting deeper than ${MAX_DEPTH}`);
  for (;;) {
    let r = scan.ensure(pos, 1);
    if (r < 0) return r;
    const type = buf[pos]!;
    if (type === T_STOP) return pos + 1;
    r = scan.ensure(pos + 1, 2);
    if (r < 0) return r;
    pos = skipBinaryValue(buf, pos + 3, type, scan, depth);
    if (pos < 0) return pos;
  }
}

function skipBinaryValue(buf: Buffer, pos: number, type: number, scan: Scan, depth: number): number {
  const width = fixedWidth(type);
  if (width > 0) {
    const r = scan.ensure(pos, width);
    return r < 0 ? r : pos + width;
  }
  if (width < 0) return scan.fail(`unknown binary type id ${type}`);
  let r: number;
  switch (type) {
    case T_STRING: {
      r = scan.ensure(pos, 4);
      if (r < 0) return r;
      const length = buf.readInt32BE(pos);
      if (length < 0) return scan.fail(`negative string length ${length}`);
      r = scan.ensure(pos + 4, length);
      return r < 0 ? r : pos + 4 + length;
    }
    case T_STRUCT:
      return skipBinaryStruct(buf, pos, scan, depth + 1);
    case T_MAP: {
      r = scan.ensure(pos, 6);
      if (r < 0) return r;
      const keyType = buf[pos]!;
      const valueType = buf[pos + 1]!;
      const size = buf.readInt32BE(pos + 2);
      return skipElements(buf, pos + 6, keyType, valueType, size, scan, depth);
    }
    case T_SET:
    case T_LIST: {
      r = scan.ensure(pos, 5);
      if (r < 0) return r;
      const elementType = buf[pos]!;
      const size = buf.readInt32BE(pos + 1);
      return skipElements(buf, pos + 5, elementType, -1, size, scan, depth);
    }
    default:
      return scan.fail(`unknown binary type id ${type}`);
  }
}

/** Skips `size` elements (pairs when `valueType` >= 0). */
function skipElements(buf: Buffer, pos: number, keyType: number, valueType: number, size: number, scan: Scan, depth: number): number {
  if (size < 0) return scan.fail(`negative container size ${size}`);
  if (size === 0) return pos;
  if (depth + 1 > MAX_DEPTH) return scan.fail(`nesting deeper than ${MAX_DEPTH}`);
  const keyWidth = fixedWidth(keyType);
  const valueWidth = valueType < 0 ? 0 : fixedWidth(valueType);
  if (keyWidth < 0) return scan.fail(`unknown binary type id ${keyType}`);
  if (valueWidth < 0) return scan.fail(`unknown binary type id ${valueType}`);
  // Every element takes at least one byte: a size past the limit is refused before looping.
  const r = scan.ensure(pos, size);
  if (r < 0) return r;
  if (keyWidth > 0 && (valueType < 0 || valueWidth > 0)) {
    const width = size * (keyWidth + (valueType < 0 ? 0 : valueWidth));
    const e = scan.ensure(pos, width);
    return e < 0 ? e : pos + width;
  }
  for (let i = 0; i < size; i++) {
    pos = skipBinaryValue(buf, pos, keyType, scan, depth + 1);
    if (pos < 0) return pos;
    if (valueType >= 0) {
      pos = skipBinaryValue(buf, pos, valueType, scan, depth + 1);
      if (pos < 0) return pos;
    }
  }
  return pos;
}
