/**
 * MetadataRequest v0:
 *
 *   MetadataRequest => [topics]
 *     topics => name:STRING
 *
 * An empty array asks for every topic in v0. The proxy reads the names (metadata `topic`, and the
 * topics a local error reply answers for).
 */
import type { Cursor } from "../../../wire.ts";

export interface MetadataRequestShape {
  flexible: boolean;
  /** v1+: a null array asks for every topic, an empty one for none. */
  nullableTopics: boolean;
  /** v10+: each topic is `topic_id:UUID name:COMPACT_NULLABLE_STRING`. */
  topicIds: boolean;
}

export const metadataRequestV0: MetadataRequestShape = { flexible: false, nullableTopics: false, topicIds: false };

/** Requested topic names; null for "every topic". */
export function readMetadataRequestTopics(c: Cursor, shape: MetadataRequestShape): string[] | null {
  const n = c.arrayLength(shape.flexible);
  if (n < 0 || (n === 0 && !shape.nullableTopics)) return null;
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    if (shape.topicIds) c.skip(16);
    const name = c.string(shape.flexible);
    if (name !== null) names.push(name);
    if (shape.flexible) c.skipTaggedFields();
  }
  return names;
}
