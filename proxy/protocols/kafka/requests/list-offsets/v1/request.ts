/**
 * ListOffsetsRequest v1 (through v10), up to its first topic, which is all the proxy reads:
 *
 *   ListOffsetsRequest => replica_id:INT32 isolation_level:INT8 (v2+) [topics] timeout_ms:INT32 (v10+)
 *     topics => name:STRING [partitions]
 *
 * Flexible from v6 (compact strings and arrays).
 */
import type { Cursor } from "../../../wire.ts";

export function readListOffsetsRequestFirstTopic(c: Cursor, version: number, flexible: boolean): string | null {
  c.int32();
  if (version >= 2) c.skip(1);
  const n = c.arrayLength(flexible);
  if (n <= 0) return null;
  return c.string(flexible);
}
