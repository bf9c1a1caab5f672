/**
 * MetadataResponse v9 (through v13): v0's layout in flexible encoding — compact strings and
 * arrays, and a TAG_BUFFER closing each broker. Later versions change only fields after
 * `brokers` (topic ids from v10, a top-level error_code in v13).
 */
export { rewriteMetadataResponse } from "../v0/response.ts";
