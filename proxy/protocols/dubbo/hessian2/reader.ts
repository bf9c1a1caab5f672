/*
 * A Hessian 2.0 reader for what the Dubbo codec needs: strings and ints it reads, every other
 * value it skips without building it.
 *
 *   value   ::= null | binary | boolean | class-def value | date | double | int | list | long
 *             | map | object | ref | string
 *   null    ::= 'N'                                   boolean ::= 'T' | 'F'
 *   int     ::= 'I' b3 b2 b1 b0 | [x80-xbf] | [xc0-xcf] b0 | [xd0-xd7] b1 b0
 *   long    ::= 'L' b7..b0 | [xd8-xef] | [xf0-xff] b0 | [x38-x3f] b1 b0 | x59 b3..b0
 *   double  ::= 'D' b7..b0 | x5b | x5c | x5d b0 | x5e b1 b0 | x5f b3..b0
 *   date    ::= x4a b7..b0 | x4b b3..b0
 *   string  ::= x52 b1 b0 utf8 string | 'S' b1 b0 utf8 | [x00-x1f] utf8 | [x30-x33] b0 utf8
 *   binary  ::= x41 b1 b0 bytes binary | 'B' b1 b0 bytes | [x20-x2f] bytes | [x34-x37] b0 bytes
 *   list    ::= x55 type value* 'Z' | 'V' type int value* | x57 value* 'Z' | x58 int value*
 *             | [x70-x77] type value* | [x78-x7f] value*
 *   map     ::= 'M' type (value value)* 'Z' | 'H' (value value)* 'Z'
 *   class-def ::= 'C' string int string*             object ::= 'O' int value* | [x60-x6f] value*
 *   ref     ::= x51 int                               type   ::= string | int
 *
 * String lengths count UTF-16 code units, so a string's byte length is found by walking its
 * UTF-8 lead bytes (Java writes a supplementary character as two 3-byte surrogates; a 4-byte
 * sequence counts as two units). Objects need the field count of their class definition, so the
 * reader keeps the definitions seen since `reset` (Dubbo starts a fresh Hessian stream per body).
 *
 * Errors throw HessianFormatError; the codec turns them into a CodecError.
 */

export class HessianFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HessianFormatError";
  }
}

const MAX_DEPTH = 64;

export class HessianReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Field count of each class definition, by definition index. */
  private classFields: number[] = [];
  private depth = 0;

  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.classFields.length = 0;
    this.depth = 0;
    return this;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    if (this.pos >= this.end) throw new HessianFormatError("value runs past the end of the body");
    return this.buf[this.pos]!;
  }

  /** A string, or null for 'N'. */
  readString(): string | null {
    const tag = this.peek();
    if (tag === 0x4e) {
      this.pos++;
      return null;
    }
    if (!isStringTag(tag)) throw new HessianFormatError(`expected a string, found tag 0x${tag.toString(16)} at ${this.pos}`);
    let out = "";
    for (;;) {
      const t = this.buf[this.pos++]!;
      let units: number;
      let final = true;
      if (t <= 0x1f) units = t;
      else if (t >= 0x30 && t <= 0x33) units = ((t - 0x30) << 8) | this.byte();
      else if (t === 0x53 || t === 0x52) {
        units = this.u16();
        final = t === 0x53;
      } else throw new HessianFormatError(`bad string chunk tag 0x${t.toString(16)}`);
      out += this.utf8Units(units);
      if (final) return out;
      if (this.pos >= this.end || !isStringTag(this.buf[this.pos]!)) throw new HessianFormatError("string chunk not followed by a string chunk");
    }
  }

  readInt(): number {
    const t = this.byte();
    if (t >= 0x80 && t <= 0xbf) return t - 0x90;
    if (t >= 0xc0 && t <= 0xcf) return ((t - 0xc8) << 8) | this.byte();
    if (t >= 0xd0 && t <= 0xd7) return ((t - 0xd4) << 16) | (this.byte() << 8) | this.byte();
    if (t === 0x49) {
      this.need(4);
      const v = this.buf.readInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    throw new HessianFormatError(`expected an int, found tag 0x${t.toString(16)}`);
  }

  /** Skips one complete value of any type. */
  skipValue(): void {
    if (++this.depth > MAX_DEPTH) throw new HessianFormatError(`values nested deeper than ${MAX_DEPTH}`);
    const t = this.byte();
    if (t <= 0x1f) this.skipUtf8Units(t);
    else if (t <= 0x2f) this.skipBytes(t - 0x20);
    else if (t <= 0x33) this.skipUtf8Units(((t - 0x30) << 8) | this.byte());
    else if (t <= 0x37) this.skipBytes(((t - 0x34) << 8) | this.byte());
    else if (t <= 0x3f) this.skipBytes(2);
    else if (t >= 0x80) {
      if (t <= 0xbf || (t >= 0xd8 && t <= 0xef)) {
        /* single-byte int or long */
      } else if (t <= 0xcf || t >= 0xf0) this.skipBytes(1);
      else this.skipBytes(2); // 0xd0-0xd7
    } else if (t >= 0x60 && t <= 0x6f) this.skipObjectFields(t - 0x60);
    else if (t >= 0x70 && t <= 0x77) {
      this.skipType();
      this.skipValues(t - 0x70);
    } else if (t >= 0x78 && t <= 0x7f) this.skipValues(t - 0x78);
    else {
      switch (t) {
        case 0x41: // 'A' binary, non-final chunk
        case 0x42: {
          let final = t === 0x42;
          this.skipBytes(this.u16());
          while (!final) {
            const c = this.byte();
            if (c === 0x42 || c === 0x41) {
              final = c === 0x42;
              this.skipBytes(this.u16());
            } else if (c >= 0x20 && c <= 0x2f) {
              this.skipBytes(c - 0x20);
              final = true;
            } else if (c >= 0x34 && c <= 0x37) {
              this.skipBytes(((c - 0x34) << 8) | this.byte());
              final = true;
            } else throw new HessianFormatError("binary chunk not followed by a binary chunk");
          }
          break;
        }
        case 0x43: // 'C' class definition, then the value that uses it
          this.readClassDef();
          this.depth--;
          this.skipValue();
          return;
        case 0x44: // 'D'
        case 0x4a: // date
        case 0x4c: // 'L'
          this.skipBytes(8);
          break;
        case 0x46: // 'F'
        case 0x54: // 'T'
        case 0x4e: // 'N'
        case 0x5b:
        case 0x5c:
          break;
        case 0x48: // 'H'
          this.skipUntilEnd(true);
          break;
        case 0x49: // 'I'
        case 0x4b: // date in minutes
        case 0x59: // long as int
        case 0x5f: // double as float
          this.skipBytes(4);
          break;
        case 0x4d: // 'M'
          this.skipType();
          this.skipUntilEnd(true);
          break;
        case 0x4f: // 'O'
          this.skipObjectFields(this.readInt());
          break;
        case 0x51: // ref
          this.readInt();
          break;
        case 0x52: // string chunks
        case 0x53:
          this.pos--;
          this.skipString();
          break;
        case 0x55: // typed list, variable length
          this.skipType();
          this.skipUntilEnd(false);
          break;
        case 0x56: // typed list, fixed length
          this.skipType();
          this.skipValues(this.readInt());
          break;
        case 0x57:
          this.skipUntilEnd(false);
          break;
        case 0x58:
          this.skipValues(this.readInt());
          break;
        case 0x5d:
          this.skipBytes(1);
          break;
        case 0x5e:
          this.skipBytes(2);
          break;
        default:
          throw new HessianFormatError(`unknown tag 0x${t.toString(16)} at ${this.pos - 1}`);
      }
    }
    this.depth--;
  }

  private skipString(): void {
    for (;;) {
      const t = this.byte();
      if (t <= 0x1f) return this.skipUtf8Units(t);
      if (t >= 0x30 && t <= 0x33) return this.skipUtf8Units(((t - 0x30) << 8) | this.byte());
      if (t === 0x53) return this.skipUtf8Units(this.u16());
      if (t === 0x52) this.skipUtf8Units(this.u16());
      else throw new HessianFormatError(`bad string chunk tag 0x${t.toString(16)}`);
    }
  }

  private readClassDef(): void {
    this.readString(); // class name
    const fields = this.readInt();
    if (fields < 0 || fields > this.end - this.pos) throw new HessianFormatError(`bad field count ${fields}`);
    for (let i = 0; i < fields; i++) this.readString();
    this.classFields.push(fields);
  }

  private skipObjectFields(classIndex: number): void {
    const fields = this.classFields[classIndex];
    if (fields === undefined) throw new HessianFormatError(`object refers to undefined class definition ${classIndex}`);
    this.skipValues(fields);
  }

  /** A list or map type: a type name string or an int type reference. */
  skipType(): void {
    const t = this.peek();
    if (isStringTag(t)) this.skipString();
    else this.readInt();
  }

  private skipValues(count: number): void {
    if (count < 0 || count > this.end - this.pos) throw new HessianFormatError(`bad element count ${count}`);
    for (let i = 0; i < count; i++) this.skipValue();
  }

  private skipUntilEnd(pairs: boolean): void {
    while (this.peek() !== 0x5a) {
      this.skipValue();
      if (pairs) this.skipValue();
    }
    this.pos++;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new HessianFormatError("value runs past the end of the body");
    return this.buf[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new HessianFormatError("value runs past the end of the body");
  }

  private skipBytes(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Advances past `units` UTF-16 code units of UTF-8 and returns the end offset. */
  private skipUtf8Units(units: number): void {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let left = units;
    while (left > 0) {
      if (pos >= end) throw new HessianFormatError("string runs past the end of the body");
      const b = buf[pos]!;
      if (b < 0x80) pos += 1;
      else if (b < 0xe0) pos += 2;
      else if (b < 0xf0) pos += 3;
      else {
        pos += 4;
        left--;
      }
      left--;
    }
    if (pos > end) throw new HessianFormatError("string runs past the end of the body");
    this.pos = pos;
  }

  private utf8Units(units: number): string {
    const start = this.pos;
    const buf = this.buf;
    // Fast path: all ASCII.
    const asciiEnd = start + units;
    if (asciiEnd <= this.end) {
      let i = start;
      while (i < asciiEnd && buf[i]! < 0x80) i++;
      if (i === asciiEnd) {
        this.pos = asciiEnd;
        return buf.toString("latin1", start, asciiEnd);
      }
    }
    let out = "";
    let pos = start;
    let left = units;
    while (left > 0) {
      if (pos >= this.end) throw new HessianFormatError("string runs past the end of the body");
      const b = buf[pos]!;
      let code: number;
      if (b < 0x80) {
        code = b;
        pos += 1;
      } else if (b < 0xe0) {
        code = ((b & 0x1f) << 6) | (buf[pos + 1]! & 0x3f);
        pos += 2;
      } else if (b < 0xf0) {
        code = ((b & 0x0f) << 12) | ((buf[pos + 1]! & 0x3f) << 6) | (buf[pos + 2]! & 0x3f);
        pos += 3;
      } else {
        code = ((b & 0x07) << 18) | ((buf[pos + 1]! & 0x3f) << 12) | ((buf[pos + 2]! & 0x3f) << 6) | (buf[pos + 3]! & 0x3f);
        pos += 4;
        left--;
      }
      if (pos > this.end) throw new HessianFormatError("string runs past the end of the body");
      out += String.fromCodePoint(code);
      left--;
    }
    this.pos = pos;
    return out;
  }
}

export function isStringTag(t: number): boolean {
  return t <= 0x1f || (t >= 0x30 && t <= 0x33) || t === 0x52 || t === 0x53;
}
