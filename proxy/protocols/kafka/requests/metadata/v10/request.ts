/** MetadataRequest v10 (through v13): each topic is `topic_id:UUID name:COMPACT_NULLABLE_STRING`. */
import { metadataRequestV9 } from "../v9/request.ts";
import type { MetadataRequestShape } from "../v0/request.ts";

export const metadataRequestV10: MetadataRequestShape = { ...metadataRequestV9, topicIds: true };
