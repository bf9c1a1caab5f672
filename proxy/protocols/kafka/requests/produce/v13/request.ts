/**
 * ProduceRequest v13: v9 with each topic named by `topic_id:UUID` instead of `name:COMPACT_STRING`
 * (so the proxy sets no `topic` metadata for it).
 */
import { produceRequestV9 } from "../v9/request.ts";
import type { ProduceRequestShape } from "../v3/request.ts";

export const produceRequestV13: ProduceRequestShape = { ...produceRequestV9, topicIds: true };
