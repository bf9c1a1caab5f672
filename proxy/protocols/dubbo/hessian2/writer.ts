/*
 * A Hessian 2.0 writer for the few values meshsim itself produces: strings (local error text,
 * attachment keys and values), ints, null, booleans, and untyped maps ('H' ... 'Z').
 *
 *   string ::= [x00-x1f] utf8 | [x30-x33] b0 utf8 | x52 b1 b0 utf8 string | 'S' b1 b0 utf8
 *
 * Lengths count UTF-16 code units; a supplementary character is written as two 3-byte
 * surrogates, as Java's Hessian does (its reader accepts only 1–3 byte sequences).
 */

const CHUNK_UNITS = 0xffff;

export class HessianWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  raw(bytes: Buffer | Uint8Array, start = 0, end = bytes.length): this {
    this.ensure(end - start);
    this.buf.set(bytes.subarray(start, end), this.pos);
    this.pos += end - start;
    return this;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.pos++] = b;
    return this;
  }

  null(): this {
    return this.byte(0x4e);
  }

  boolean(v: boolean): this {
    return this.byte(v ? 0x54 : 0x46);
  }

  int(v: number): this {
    v |= 0;
    this.ensure(5);
    const b = this.buf;
    if (v >= -16 && v <= 47) b[this.pos++] = v + 0x90;
    else if (v >= -2048 && v <= 2047) {
      b[this.pos++] = 0xc8 + (v >> 8);
      b[this.pos++] = v & 0xff;
    } else if (v >= -262144 && v <= 262143) {
      b[this.pos++] = 0xd4 + (v >> 16);
      b[this.pos++] = (v >> 8) & 0xff;
      b[this.pos++] = v & 0xff;
    } else {
      b[this.pos++] = 0x49;
      this.pos = b.writeInt32BE(v, this.pos);
    }
    return this;
  }

  string(s: string): this {
    let offset = 0;
    do {
      const units = Math.min(s.length - offset, CHUNK_UNITS);
      // Do not split a surrogate pair across chunks.
      let n = units;
      if (offset + n < s.length && isHighSurrogate(s.charCodeAt(offset + n - 1))) n--;
      const final = offset + n >= s.length;
      this.ensure(3 + n * 3);
      const b = this.buf;
      if (final && n <= 31) b[this.pos++] = n;
      else if (final && n <= 1023) {
        b[this.pos++] = 0x30 + (n >> 8);
        b[this.pos++] = n & 0xff;
      } else {
        b[this.pos++] = final ? 0x53 : 0x52;
        b[this.pos++] = n >> 8;
        b[this.pos++] = n & 0xff;
      }
      this.utf8(s, offset, offset + n);
      offset += n;
    } while (offset < s.length);
    return this;
  }

  /** An untyped map of string keys to string values. */
  stringMap(entries: Iterable<readonly [string, string]>): this {
    this.byte(0x48);
    for (const [k, v] of entries) this.string(k).string(v);
    return this.byte(0x5a);
  }

  private utf8(s: string, from: number, to: number): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) b[p++] = c;
      else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
