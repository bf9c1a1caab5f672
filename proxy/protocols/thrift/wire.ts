/**
 * Wire constants shared by the Thrift transports and protocols, and the scan state the
 * header readers and body skippers report through (numbers, not exceptions or closures, so
 * the hot path allocates nothing while it looks for a message's end).
 */

/** TMessageType. */
export const CALL = 1;
export const REPLY = 2;
export const EXCEPTION = 3;
export const ONEWAY = 4;

/** Transport and protocol names, the same in scenario YAML, fixtures and clients. */
export const THRIFT_TRANSPORTS = ["framed", "unframed", "header"] as const;
export type TransportKind = (typeof THRIFT_TRANSPORTS)[number];
export const THRIFT_PROTOCOLS = ["binary", "compact"] as const;
export type ProtocolKind = (typeof THRIFT_PROTOCOLS)[number];

/** Nesting of structs and containers allowed inside a body before it counts as malformed. */
export const MAX_DEPTH = 64;
/** Method names longer than this are malformed (real names are a few dozen bytes). */
export const MAX_NAME_LENGTH = 64 * 1024;

/** Negative results of readers and skippers; a non-negative result is the next position. */
export const NEED_MORE = -1;
export const MALFORMED = -2;
export const TOO_LARGE = -3;

/**
 * Where a scan may read and what it means to run past each bound. A read past `limit`
 * fails with `limitCode` (MALFORMED inside a frame, TOO_LARGE for an unframed message that
 * would exceed maxFrameSize); a read past `end` (the bytes received so far) is NEED_MORE and
 * records in `need` the absolute position that must be available before a retry can progress.
 */
export class Scan {
  end = 0;
  limit = 0;
  limitCode: typeof MALFORMED | typeof TOO_LARGE = MALFORMED;
  need = 0;
  reason = "";
  /** Value of the last varint read. */
  value = 0;

  reset(end: number, limit: number, limitCode: typeof MALFORMED | typeof TOO_LARGE): void {
    this.end = end;
    this.limit = limit;
    this.limitCode = limitCode;
    this.need = 0;
    this.reason = "";
  }

  /** 0 when `n` bytes at `pos` are readable, otherwise the negative code (already recorded). */
  ensure(pos: number, n: number): number {
    const want = pos + n;
    if (want > this.limit) {
      this.reason = this.limitCode === TOO_LARGE ? "message exceeds maxFrameSize" : "length runs past the end of the frame";
      return this.limitCode;
    }
    if (want > this.end) {
      this.need = want;
      return NEED_MORE;
    }
    return 0;
  }

  fail(reason: string): number {
    this.reason = reason;
    return MALFORMED;
  }
}

/** The fields of a message header, filled in place by a protocol's header reader. */
export class Header {
  strict = true;
  messageType = 0;
  name = "";
  seqid = 0;
  seqidOffset = 0;
  seqidEnd = 0;
  bodyOffset = 0;
}

export function isMessageType(t: number): boolean {
  return t >= CALL && t <= ONEWAY;
}
