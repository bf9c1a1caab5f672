/**
 * RESP2 / RESP3 framing, without copies.
 *
 * Requests (client → server), RESP2 and RESP3 alike:
 *   request   = array | inline
 *   array     = "*" count CRLF *( "$" length CRLF bytes CRLF )
 *   inline    = 1*( arg *SP ) CRLF            ; a line of space-separated words
 *
 * Replies (server → client):
 *   simple    = ("+" | "-" | ":" | "," | "#" | "(" | "_") line CRLF     ; "_" is RESP3 null
 *   bulk      = ("$" | "!" | "=") length CRLF bytes CRLF | "$-1" CRLF   ; "!" error, "=" verbatim
 *   aggregate = ("*" | "~" | ">") count CRLF count*reply | "*-1" CRLF   ; array, set, push
 *   map       = "%" count CRLF (2*count)*reply
 *   attribute = "|" count CRLF (2*count)*reply reply                      ; attributes precede a reply
 *
 * The request parser records argument offsets into the caller's buffer (reused arrays, no
 * strings); the reply scanner only finds where a reply ends. Both return NEED_MORE (-1) without
 * consuming anything while the input is incomplete, and MALFORMED (-2) for bytes that can never
 * become a message.
 */

export const NEED_MORE = -1;
export const MALFORMED = -2;
export const TOO_LARGE = -3;

const CR = 13;
const LF = 10;
const MAX_ARGS = 1024 * 1024;

/** Parses one integer written in ASCII between `from` and `to` (exclusive); NaN when it is not one. */
export function parseIntAt(b: Buffer, from: number, to: number): number {
  if (from >= to) return NaN;
  let i = from;
  let negative = false;
  if (b[i] === 45) {
    negative = true;
    i++;
    if (i >= to) return NaN;
  }
  let n = 0;
  for (; i < to; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return negative ? -n : n;
}

/** Index of the CR of the first CRLF at or after `from`, or -1 when none is there yet. */
function lineEnd(b: Buffer, from: number, end: number): number {
  for (let i = from; i < end - 1; i++) {
    if (b[i] === CR) return b[i + 1] === LF ? i : MALFORMED;
  }
  return NEED_MORE;
}

/**
 * Parses one request at a time into reused offset arrays. After a successful `parse`,
 * argument i is `input[argStart[i], argEnd[i])`.
 */
export class RequestParser {
  argc = 0;
  argStart = new Int32Array(16);
  argEnd = new Int32Array(16);
  /** Whether the last request was written inline (a line of words). */
  inline = false;
  /** Why the last parse returned MALFORMED or TOO_LARGE. */
  problem = "";

  constructor(private readonly maxSize = 512 * 1024 * 1024) {}

  /** Returns the offset just past the request, NEED_MORE, MALFORMED or TOO_LARGE. */
  parse(b: Buffer, offset: number, end: number): number {
    if (offset >= end) return NEED_MORE;
    if (b[offset] !== 42 /* * */) return this.parseInline(b, offset, end);
    this.inline = false;
    const le = lineEnd(b, offset + 1, end);
    if (le < 0) return this.lineProblem(le, end - offset);
    const count = parseIntAt(b, offset + 1, le);
    if (!(count >= 0) || count > MAX_ARGS) return this.fail(`invalid multibulk length`);
    if (count > this.argStart.length) this.grow(count);
    let p = le + 2;
    for (let i = 0; i < count; i++) {
      if (p >= end) return NEED_MORE;
      if (b[p] !== 36 /* $ */) return this.fail(`expected '$', got '${String.fromCharCode(b[p]!)}'`);
      const l = lineEnd(b, p + 1, end);
      if (l < 0) return this.lineProblem(l, end - p);
      const len = parseIntAt(b, p + 1, l);
      if (!(len >= 0)) return this.fail("invalid bulk length");
      if (len > this.maxSize) return this.tooLarge(len);
      const start = l + 2;
      const stop = start + len;
      if (stop - offset > this.maxSize) return this.tooLarge(stop - offset);
      if (stop + 2 > end) return NEED_MORE;
      if (b[stop] !== CR || b[stop + 1] !== LF) return this.fail("bulk string not terminated by CRLF");
      this.argStart[i] = start;
      this.argEnd[i] = stop;
      p = stop + 2;
    }
    this.argc = count;
    return p;
  }

  private parseInline(b: Buffer, offset: number, end: number): number {
    let nl = -1;
    const limit = Math.min(end, offset + 64 * 1024);
    for (let i = offset; i < limit; i++) {
      if (b[i] === LF) {
        nl = i;
        break;
      }
    }
    if (nl < 0) return limit - offset >= 64 * 1024 ? this.fail("too big inline request") : NEED_MORE;
    const stop = nl > offset && b[nl - 1] === CR ? nl - 1 : nl;
    let argc = 0;
    let i = offset;
    while (i < stop) {
      while (i < stop && (b[i] === 32 || b[i] === 9)) i++;
      if (i >= stop) break;
      const s = i;
      while (i < stop && b[i] !== 32 && b[i] !== 9) i++;
      if (argc >= this.argStart.length) this.grow(argc + 1);
      this.argStart[argc] = s;
      this.argEnd[argc] = i;
      argc++;
    }
    this.inline = true;
    this.argc = argc;
    return nl + 1;
  }

  private grow(n: number): void {
    let size = this.argStart.length;
    while (size < n) size *= 2;
    const s = new Int32Array(size);
    const e = new Int32Array(size);
    s.set(this.argStart);
    e.set(this.argEnd);
    this.argStart = s;
    this.argEnd = e;
  }

  private lineProblem(code: number, available: number): number {
    if (code === MALFORMED) return this.fail("line not terminated by CRLF");
    return available > 64 ? this.fail("header line too long") : NEED_MORE;
  }

  private fail(why: string): number {
    this.problem = `Protocol error: ${why}`;
    return MALFORMED;
  }

  private tooLarge(size: number): number {
    this.problem = `Protocol error: request of ${size} bytes exceeds the ${this.maxSize}-byte limit`;
    return TOO_LARGE;
  }
}

/**
 * Offset just past the one reply starting at `offset`, NEED_MORE or MALFORMED. Aggregates are
 * walked with a counter instead of recursion, so deep nesting costs nothing extra.
 */
export function replyEnd(b: Buffer, offset: number, end: number): number {
  let remaining = 1;
  let p = offset;
  while (remaining > 0) {
    if (p >= end) return NEED_MORE;
    const type = b[p]!;
    const le = lineEnd(b, p + 1, end);
    if (le < 0) return le === MALFORMED ? MALFORMED : end - p > 1024 * 1024 ? MALFORMED : NEED_MORE;
    switch (type) {
      case 43: // +
      case 45: // -
      case 58: // :
      case 44: // ,
      case 35: // #
      case 40: // (
      case 95: // _
        p = le + 2;
        remaining--;
        break;
      case 36: // $
      case 33: // !
      case 61: {
        // =
        const len = parseIntAt(b, p + 1, le);
        if (Number.isNaN(len) || len < -1) return MALFORMED;
        if (len === -1) p = le + 2;
        else {
          const stop = le + 2 + len;
          if (stop + 2 > end) return NEED_MORE;
          p = stop + 2;
        }
        remaining--;
        break;
      }
      case 42: // *
      case 126: // ~
      case 62: {
        // >
        const n = parseIntAt(b, p + 1, le);
        if (Number.isNaN(n) || n < -1) return MALFORMED;
        remaining += Math.max(n, 0) - 1;
        p = le + 2;
        break;
      }
      case 37: {
        // %
        const n = parseIntAt(b, p + 1, le);
        if (Number.isNaN(n) || n < 0) return MALFORMED;
        remaining += 2 * n - 1;
        p = le + 2;
        break;
      }
      case 124: {
        // | attributes, followed by the reply they describe
        const n = parseIntAt(b, p + 1, le);
        if (Number.isNaN(n) || n < 0) return MALFORMED;
        remaining += 2 * n;
        p = le + 2;
        break;
      }
      default:
        return MALFORMED;
    }
  }
  return p;
}

/** A reply decoded into JS values, for the few replies the proxy reads itself (CLUSTER SLOTS, ROLE). */
export type RespValue = string | number | null | RespValue[] | Buffer | { error: string } | Map<RespValue, RespValue>;

/** Decodes one complete reply (as located by replyEnd). Bulk strings become utf8 strings. */
export function decodeReply(b: Buffer, offset = 0): { value: RespValue; end: number } {
  const type = b[offset]!;
  const le = lineEnd(b, offset + 1, b.length);
  if (le < 0) throw new Error("incomplete reply");
  const line = b.toString("utf8", offset + 1, le);
  const next = le + 2;
  switch (type) {
    case 43:
    case 35:
    case 44:
    case 40:
      return { value: line, end: next };
    case 45:
      return { value: { error: line }, end: next };
    case 58:
      return { value: Number(line), end: next };
    case 95:
      return { value: null, end: next };
    case 36:
    case 33:
    case 61: {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      const s = b.toString("utf8", next, next + len);
      return { value: type === 33 ? { error: s } : s, end: next + len + 2 };
    }
    case 42:
    case 126:
    case 62: {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const out: RespValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = decodeReply(b, p);
        out.push(r.value);
        p = r.end;
      }
      return { value: out, end: p };
    }
    case 37: {
      const n = Number(line);
      const out = new Map<RespValue, RespValue>();
      let p = next;
      for (let i = 0; i < n; i++) {
        const k = decodeReply(b, p);
        const v = decodeReply(b, k.end);
        out.set(k.value, v.value);
        p = v.end;
      }
      return { value: out, end: p };
    }
    case 124: {
      let p = next;
      for (let i = 0; i < 2 * Number(line); i++) p = decodeReply(b, p).end;
      return decodeReply(b, p);
    }
    default:
      throw new Error(`unknown reply type ${String.fromCharCode(type)}`);
  }
}

// Encoders for the replies and commands the proxy writes itself.

const CRLF = "\r\n";
export const OK = Buffer.from("+OK\r\n");
export const PONG = Buffer.from("+PONG\r\n");
export const QUEUED = Buffer.from("+QUEUED\r\n");
export const NULL_BULK = Buffer.from("$-1\r\n");

export function simpleString(s: string): Buffer {
  return Buffer.from(`+${s}${CRLF}`);
}

/** An error reply; `message` starts with the error code (ERR, NOAUTH, WRONGPASS ...). CR/LF are replaced. */
export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, " ")}${CRLF}`);
}

export function integerReply(n: number): Buffer {
  return Buffer.from(`:${n}${CRLF}`);
}

export function bulkString(s: string | Buffer): Buffer {
  const body = typeof s === "string" ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from(`$${body.length}${CRLF}`), body, Buffer.from(CRLF)]);
}

export function arrayHeader(n: number): Buffer {
  return Buffer.from(`*${n}${CRLF}`);
}

/** A command as a RESP array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [arrayHeader(args.length)];
  for (const a of args) parts.push(bulkString(a));
  return Buffer.concat(parts);
}
