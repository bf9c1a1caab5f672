/**
 * MetadataRequest v1 (through v8): `[topics]` becomes nullable — null asks for every topic, an
 * empty array for none. v4 adds allow_auto_topic_creation and v8 the authorized-operations flags
 * after the topics, which the proxy does not read.
 */
import { metadataRequestV0, type MetadataRequestShape } from "../v0/request.ts";

export const metadataRequestV1: MetadataRequestShape = { ...metadataRequestV0, nullableTopics: true };
