/**
 * FetchRequest v4 (through v17), up to its first topic, which is all the proxy reads:
 *
 *   FetchRequest => replica_id:INT32 (v0-14) max_wait_ms:INT32 min_bytes:INT32 max_bytes:INT32
 *                   isolation_level:INT8 session_id:INT32 (v7+) session_epoch:INT32 (v7+) [topics] ...
 *     topics => topic:STRING (v0-12) | topic_id:UUID (v13+) [partitions]
 *
 * Flexible from v12 (compact strings, tagged fields). Topic ids (v13+) carry no name, so no
 * `topic` metadata is set for them.
 */
import type { Cursor } from "../../../wire.ts";

export function readFetchRequestFirstTopic(c: Cursor, version: number, flexible: boolean): string | null {
  if (version <= 14) c.int32();
  c.skip(4 + 4 + 4 + 1);
  if (version >= 7) c.skip(8);
  const n = c.arrayLength(flexible);
  if (n <= 0 || version >= 13) return null;
  return c.string(flexible);
}
