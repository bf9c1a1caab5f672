/*
 * The Dubbo frame header (16 bytes), followed by `body length` bytes of body:
 *
 *   offset 0-1   magic 0xdabb
 *   offset 2     flags: 0x80 request, 0x40 two-way, 0x20 event; low 5 bits: serialization id
 *                (2 = hessian2)
 *   offset 3     status (responses only; see status.ts)
 *   offset 4-11  request id, int64 big-endian
 *   offset 12-15 body length, int32 big-endian
 *
 * The codec contract carries request ids as JS numbers. Ids with |id| < 2^52 are carried
 * exactly. Wider ids are common: Dubbo 3's Java client starts its id counter at a random long.
 * A two-way request with a wide id gets a stand-in number from a band no exact id uses
 * ([-(2^53 - 1), -2^52]); the stand-in maps back to the original 8 bytes in a process-wide
 * table, so the reply written by any codec instance (the proxy encodes replies with the
 * upstream connection's codec) restores the exact id. An entry is released when its id is
 * written back, and the table keeps at most WIDE_ID_LIMIT entries (oldest dropped first), which
 * bounds what requests that never get a reply can hold.
 */

export const HEADER_SIZE = 16;
export const MAGIC_HIGH = 0xda;
export const MAGIC_LOW = 0xbb;
export const FLAG_REQUEST = 0x80;
export const FLAG_TWOWAY = 0x40;
export const FLAG_EVENT = 0x20;
export const SERIALIZATION_MASK = 0x1f;
export const HESSIAN2_SERIALIZATION_ID = 2;
export const REQUEST_ID_OFFSET = 4;
export const BODY_LENGTH_OFFSET = 12;

const TWO_32 = 0x1_0000_0000;
const EXACT_HIGH = 0xfffff; // |id| < 2^52
const STAND_IN_FIRST = -(2 ** 53 - 1);
const STAND_IN_LAST = -(2 ** 52);

/** The 8 id bytes of a request whose id does not fit a JavaScript number exactly. */
export interface WideId {
  readonly high: number;
  readonly low: number;
}

/**
 * The request id at `offset` (8 bytes): exact when |id| < 2^52, else the low 52 bits (a wide
 * id's own bytes are kept with its request, see wideIdAt).
 */
export function readRequestId(buf: Buffer, offset: number): number {
  const high = buf.readInt32BE(offset);
  const low = buf.readUInt32BE(offset + 4);
  if (high >= -EXACT_HIGH - 1 && high <= EXACT_HIGH) return high * TWO_32 + low;
  return (high & EXACT_HIGH) * TWO_32 + low;
}

/** The id bytes at `offset` when the id is wide (|id| ≥ 2^52); undefined when it is exact. */
export function wideIdAt(buf: Buffer, offset: number): WideId | undefined {
  const high = buf.readInt32BE(offset);
  return high >= -EXACT_HIGH - 1 && high <= EXACT_HIGH ? undefined : { high, low: buf.readUInt32BE(offset + 4) };
}

/** Writes an id as int64 big-endian, or a wide id's own bytes. */
export function writeRequestId(buf: Buffer, offset: number, id: number | WideId): void {
  if (typeof id !== "number") {
    buf.writeInt32BE(id.high, offset);
    buf.writeUInt32BE(id.low, offset + 4);
    return;
  }
  const high = Math.floor(id / TWO_32);
  buf.writeInt32BE(high | 0, offset);
  buf.writeUInt32BE(id - high * TWO_32, offset + 4);
}

/**
 * Numbers handed out for wide ids, one codec instance's band: the proxy matches replies by the
 * id it writes upstream, so a stand-in only has to differ from its connection's other ids.
 */
export class StandInIds {
  private next = STAND_IN_FIRST;

  take(): number {
    const id = this.next;
    this.next = id >= STAND_IN_LAST ? STAND_IN_FIRST : id + 1;
    return id;
  }
}

/** A header for a reply built by the proxy; `idFrom` copies the 8 id bytes of a received frame. */
export function writeHeader(buf: Buffer, flags: number, status: number, bodyLength: number): void {
  buf[0] = MAGIC_HIGH;
  buf[1] = MAGIC_LOW;
  buf[2] = flags;
  buf[3] = status;
  buf.writeInt32BE(bodyLength, BODY_LENGTH_OFFSET);
}
