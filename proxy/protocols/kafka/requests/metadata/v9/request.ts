/** MetadataRequest v9: v1 in flexible encoding (compact arrays and strings, tagged fields). */
import { metadataRequestV1 } from "../v1/request.ts";
import type { MetadataRequestShape } from "../v0/request.ts";

export const metadataRequestV9: MetadataRequestShape = { ...metadataRequestV1, flexible: true };
