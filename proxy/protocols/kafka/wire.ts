/**
 * Kafka's primitive types (https://kafka.apache.org/protocol#protocol_types), read at an offset
 * and written through a growing Writer. Readers return values and advance `Cursor.at`; they
 * throw RangeError past the end of the buffer, which the codec turns into a CodecError.
 *
 *   INT8 INT16 INT32 INT64 UINT16   big-endian
 *   UNSIGNED_VARINT                 7 bits per byte, low group first, high bit = more
 *   STRING / NULLABLE_STRING        INT16 length (-1: null) + UTF-8
 *   COMPACT_[NULLABLE_]STRING       UNSIGNED_VARINT length+1 (0: null) + UTF-8
 *   ARRAY / COMPACT_ARRAY           INT32 count (-1: null) / UNSIGNED_VARINT count+1 (0: null)
 *   BYTES / COMPACT_BYTES           as strings, raw bytes
 *   TAG_BUFFER                      UNSIGNED_VARINT count, then (tag, size, bytes) per field
 *   UUID                            16 bytes
 */

export class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new RangeError(`need ${n} bytes at ${this.at} of ${this.buf.length}`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.at++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 28) throw new RangeError("varint too long");
    }
  }

  /** STRING or COMPACT_STRING (nullable or not): null for a null string. */
  string(compact: boolean): string | null {
    const len = compact ? this.uvarint() - 1 : this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString("utf8", this.at, this.at + len);
    this.at += len;
    return s;
  }

  skipString(compact: boolean): void {
    const len = compact ? this.uvarint() - 1 : this.int16();
    if (len > 0) this.skip(len);
  }

  skipBytes(compact: boolean): void {
    const len = compact ? this.uvarint() - 1 : this.int32();
    if (len > 0) this.skip(len);
  }

  /** Array element count; -1 for a null array. */
  arrayLength(compact: boolean): number {
    return compact ? this.uvarint() - 1 : this.int32();
  }

  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}

export class Writer {
  private buf: Buffer;
  length = 0;

  constructor(capacity = 128) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.length++);
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.length = this.buf.writeInt16BE(v, this.length);
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.length = this.buf.writeUInt16BE(v, this.length);
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.length = this.buf.writeInt32BE(v, this.length);
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.length = this.buf.writeUInt32BE(v, this.length);
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.length = this.buf.writeBigInt64BE(v, this.length);
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.length = this.buf.writeDoubleBE(v, this.length);
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
    return this;
  }

  raw(bytes: Buffer): this {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }

  string(s: string | null, compact: boolean): this {
    if (s === null) return compact ? this.uvarint(0) : this.int16(-1);
    const bytes = Buffer.from(s, "utf8");
    if (compact) this.uvarint(bytes.length + 1);
    else this.int16(bytes.length);
    return this.raw(bytes);
  }

  /** BYTES / COMPACT_BYTES; null writes a null (nullable) or empty value. */
  bytes(b: Buffer | null, compact: boolean): this {
    if (b === null) return compact ? this.uvarint(0) : this.int32(-1);
    if (compact) this.uvarint(b.length + 1);
    else this.int32(b.length);
    return this.raw(b);
  }

  arrayLength(n: number, compact: boolean): this {
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  /** The bytes written so far, with an INT32 size prefix reserved by `frame()`. */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** A size-prefixed frame around `body` (which must start 4 bytes in, see `frameWriter`). */
export function frameWriter(): Writer {
  return new Writer().int32(0);
}

export function finishFrame(w: Writer): Buffer {
  const out = w.toBuffer();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}
