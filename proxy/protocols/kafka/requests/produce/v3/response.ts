/**
 * ProduceResponse v3 (through v13; later versions add fields the proxy does not read):
 *
 *   ProduceResponse => [responses] throttle_time_ms:INT32
 *     responses => name:STRING (topic_id:UUID from v13) [partition_responses]
 *       partition_responses => index:INT32 error_code:INT16 base_offset:INT64
 *                              log_append_time_ms:INT64 log_start_offset:INT64 (v5+)
 *                              [record_errors] (v8+) error_message:NULLABLE_STRING (v8+)
 *         record_errors => batch_index:INT32 batch_index_error_message:NULLABLE_STRING
 *
 * Flexible from v9. The proxy answers a local error per partition of the request, and counts a
 * broker response as an error when any partition carries an error code.
 */
import type { Cursor } from "../../../wire.ts";
import type { Values } from "../../error-response.ts";
import type { ProduceRequest } from "./request.ts";

/** Error response values: every topic and partition of the request, each with `errorCode`. */
export function produceErrorValues(request: ProduceRequest, errorCode: number, message: string): Values {
  return {
    Responses: request.topics.map((t) => ({
      Name: t.name ?? "",
      TopicId: t.topicId ?? undefined,
      PartitionResponses: t.partitions.map((index) => ({ Index: index, ErrorCode: errorCode, BaseOffset: -1, ErrorMessage: message })),
    })),
  };
}

/** The first non-zero partition error code of a response body, or 0. */
export function produceResponseError(c: Cursor, version: number, flexible: boolean): number {
  const topics = c.arrayLength(flexible);
  for (let i = 0; i < topics; i++) {
    if (version >= 13) c.skip(16);
    else c.skipString(flexible);
    const partitions = c.arrayLength(flexible);
    for (let j = 0; j < partitions; j++) {
      c.int32();
      const code = c.int16();
      if (code !== 0) return code;
      c.skip(16 + (version >= 5 ? 8 : 0));
      if (version >= 8) {
        const errors = c.arrayLength(flexible);
        for (let k = 0; k < errors; k++) {
          c.int32();
          c.skipString(flexible);
          if (flexible) c.skipTaggedFields();
        }
        c.skipString(flexible);
      }
      if (flexible) c.skipTaggedFields();
    }
    if (flexible) c.skipTaggedFields();
  }
  return 0;
}
