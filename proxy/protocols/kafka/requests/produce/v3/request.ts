/**
 * ProduceRequest v3 (through v8, unchanged for the proxy):
 *
 *   ProduceRequest => transactional_id:NULLABLE_STRING acks:INT16 timeout_ms:INT32 [topic_data]
 *     topic_data => name:STRING [partition_data]
 *       partition_data => index:INT32 records:RECORDS
 *
 * The proxy reads acks (acks=0 gets no response: the request is oneway) and each topic's name
 * and partition indexes (metadata `topic`; a local error reply answers per partition).
 */
import type { Cursor } from "../../../wire.ts";

export interface ProduceRequestShape {
  flexible: boolean;
  /** v13+: topics by id instead of name. */
  topicIds: boolean;
}

export interface ProduceTopic {
  name: string | null;
  topicId: Buffer | null;
  partitions: number[];
}

export interface ProduceRequest {
  acks: number;
  topics: ProduceTopic[];
}

export const produceRequestV3: ProduceRequestShape = { flexible: false, topicIds: false };

export function readProduceRequest(c: Cursor, shape: ProduceRequestShape): ProduceRequest {
  const flex = shape.flexible;
  c.skipString(flex);
  const acks = c.int16();
  c.int32();
  const topics: ProduceTopic[] = [];
  const n = c.arrayLength(flex);
  for (let i = 0; i < n; i++) {
    let name: string | null = null;
    let topicId: Buffer | null = null;
    if (shape.topicIds) {
      topicId = Buffer.from(c.buf.subarray(c.at, c.at + 16));
      c.skip(16);
    } else name = c.string(flex);
    const partitions: number[] = [];
    const p = c.arrayLength(flex);
    for (let j = 0; j < p; j++) {
      partitions.push(c.int32());
      c.skipBytes(flex);
      if (flex) c.skipTaggedFields();
    }
    if (flex) c.skipTaggedFields();
    topics.push({ name, topicId, partitions });
  }
  return { acks, topics };
}
