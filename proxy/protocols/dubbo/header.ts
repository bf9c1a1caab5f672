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
 * The codec contract carries request ids as JS numbers. Ids in the safe-integer range
 * (|id| < 2^53, which covers every counter-based client: Java and apache-dubbo-js count up from 0)
 * are exact. A wider id becomes its low 53 bits: the frame still passes through untouched, but if
 * the proxy rewrites it for upstream multiplexing, the id restored on the reply is those low 53
 * bits, not the original.
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
const SAFE_HIGH = 0x1fffff; // high word of the largest safe integer, 2^53 - 1

/** The request id at `offset` (8 bytes), exact when |id| < 2^53, else its low 53 bits. */
export function readRequestId(buf: Buffer, offset: number): number {
  const high = buf.readInt32BE(offset);
  const low = buf.readUInt32BE(offset + 4);
  if (high >= -SAFE_HIGH - 1 && high <= SAFE_HIGH) return high * TWO_32 + low;
  return (high & SAFE_HIGH) * TWO_32 + low;
}

/** Writes a safe integer as int64 big-endian. */
export function writeRequestId(buf: Buffer, offset: number, id: number): void {
  const high = Math.floor(id / TWO_32);
  buf.writeInt32BE(high | 0, offset);
  buf.writeUInt32BE(id - high * TWO_32, offset + 4);
}

/** A header for a reply built by the proxy; `idFrom` copies the 8 id bytes of a received frame. */
export function writeHeader(buf: Buffer, flags: number, status: number, bodyLength: number): void {
  buf[0] = MAGIC_HIGH;
  buf[1] = MAGIC_LOW;
  buf[2] = flags;
  buf[3] = status;
  buf.writeInt32BE(bodyLength, BODY_LENGTH_OFFSET);
}
