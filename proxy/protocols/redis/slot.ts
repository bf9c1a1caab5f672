/**
 * Redis Cluster key slots: CRC16-CCITT (XMODEM: poly 0x1021, init 0) of the key, or of its hash
 * tag, modulo 16384. The hash tag is the part between the first `{` and the first `}` after it,
 * when that part is not empty (the Redis Cluster specification, "Hash tags").
 */

export const SLOT_COUNT = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

export function crc16(b: Uint8Array, start = 0, end = b.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b[i]!) & 0xff]!;
  return crc;
}

/** [start, end) of the bytes that decide the slot: the hash tag when there is one, else the whole key. */
export function hashTagRange(b: Uint8Array, start: number, end: number): [number, number] {
  for (let i = start; i < end; i++) {
    if (b[i] === 0x7b /* { */) {
      for (let j = i + 1; j < end; j++) {
        if (b[j] === 0x7d /* } */) return j > i + 1 ? [i + 1, j] : [start, end];
      }
      return [start, end];
    }
  }
  return [start, end];
}

export function keySlot(b: Uint8Array, start = 0, end = b.length): number {
  const [s, e] = hashTagRange(b, start, end);
  return crc16(b, s, e) & (SLOT_COUNT - 1);
}

export function slotOf(key: string | Buffer): number {
  const b = typeof key === "string" ? Buffer.from(key) : key;
  return keySlot(b, 0, b.length);
}

/** 32-bit FNV-1a of a byte range, for sharding by key outside cluster mode. */
export function fnv1a(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Jump consistent hash (Lamping and Veach): a bucket in [0, buckets) for a 32-bit key, moving
 * only 1/n of the keys when a bucket is added. Uses a 32-bit LCG so it stays in doubles.
 */
export function jumpHash(key: number, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key >>> 0 || 1;
  while (j < buckets) {
    b = j;
    k = (Math.imul(k, 1103515245) + 12345) >>> 0;
    j = Math.floor(((b + 1) * 2147483648) / ((k >>> 1) + 1));
  }
  return b;
}
