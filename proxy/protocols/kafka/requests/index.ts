/**
 * The APIs whose bodies the proxy reads, mapped to the file of each version range. Every other
 * API and version is forwarded untouched (framing and headers come from api-keys.ts), and gets
 * its local error replies from the generic writer in error-response.ts.
 */
import { API_KEY } from "../api-keys.ts";
import { Cursor } from "../wire.ts";
import type { BrokerAddressMap, FrameRebuilder } from "./broker-address.ts";
import { topLevelErrorOffset, type Values } from "./error-response.ts";
import { readFetchRequestFirstTopic } from "./fetch/v4/request.ts";
import { readListOffsetsRequestFirstTopic } from "./list-offsets/v1/request.ts";
import { rewriteFindCoordinatorResponse } from "./find-coordinator/v3/response.ts";
import { rewriteFindCoordinatorResponseV4 } from "./find-coordinator/v4/response.ts";
import { rewriteDescribeClusterResponse } from "./describe-cluster/v0/response.ts";
import { readMetadataRequestTopics, metadataRequestV0 } from "./metadata/v0/request.ts";
import { metadataRequestV1 } from "./metadata/v1/request.ts";
import { metadataRequestV9 } from "./metadata/v9/request.ts";
import { metadataRequestV10 } from "./metadata/v10/request.ts";
import { rewriteMetadataResponse } from "./metadata/v9/response.ts";
import { readProduceRequest, produceRequestV3, type ProduceRequest } from "./produce/v3/request.ts";
import { produceErrorValues, produceResponseError } from "./produce/v3/response.ts";
import { produceRequestV9 } from "./produce/v9/request.ts";
import { produceRequestV13 } from "./produce/v13/request.ts";

/** What the proxy learns from a request body. */
export interface RequestFacts {
  /** Topic names in request order (Fetch, ListOffsets: the first one only; Produce; Metadata); null: none or not read. */
  topics: string[] | null;
  /** Produce only. */
  produce?: ProduceRequest;
}

const NO_FACTS: RequestFacts = { topics: null };

/** Reads the body from `c` (just after the request header). May throw on malformed bodies. */
export function readRequestBody(apiKey: number, version: number, c: Cursor): RequestFacts {
  switch (apiKey) {
    case API_KEY.Produce: {
      const shape = version >= 13 ? produceRequestV13 : version >= 9 ? produceRequestV9 : produceRequestV3;
      const produce = readProduceRequest(c, shape);
      const names = produce.topics.map((t) => t.name).filter((n): n is string => n !== null);
      return { topics: names.length > 0 ? names : null, produce };
    }
    case API_KEY.Fetch: {
      const topic = readFetchRequestFirstTopic(c, version, version >= 12);
      return { topics: topic === null ? null : [topic] };
    }
    case API_KEY.ListOffsets: {
      const topic = readListOffsetsRequestFirstTopic(c, version, version >= 6);
      return { topics: topic === null ? null : [topic] };
    }
    case API_KEY.Metadata: {
      const shape = version >= 10 ? metadataRequestV10 : version >= 9 ? metadataRequestV9 : version >= 1 ? metadataRequestV1 : metadataRequestV0;
      return { topics: readMetadataRequestTopics(c, shape) };
    }
    default:
      return NO_FACTS;
  }
}

/** Rewrites broker addresses in Metadata, FindCoordinator and DescribeCluster responses; undefined for other APIs. */
export function rewriteBrokerAddresses(apiKey: number, version: number, flexible: boolean, frame: Buffer, bodyOffset: number, map: BrokerAddressMap): FrameRebuilder | undefined {
  switch (apiKey) {
    case API_KEY.Metadata:
      return rewriteMetadataResponse(frame, bodyOffset, version, flexible, map);
    case API_KEY.FindCoordinator:
      return version >= 4 ? rewriteFindCoordinatorResponseV4(frame, bodyOffset, version, flexible, map) : rewriteFindCoordinatorResponse(frame, bodyOffset, version, flexible, map);
    case API_KEY.DescribeCluster:
      return rewriteDescribeClusterResponse(frame, bodyOffset, version, flexible, map);
    default:
      return undefined;
  }
}

/** Values for a local error reply beyond the top-level error code (per partition, per topic). */
export function errorResponseValues(apiKey: number, facts: RequestFacts, errorCode: number, message: string): Values {
  if (apiKey === API_KEY.Produce && facts.produce) return produceErrorValues(facts.produce, errorCode, message);
  if (apiKey === API_KEY.Metadata && facts.topics) return { Topics: facts.topics.map((name) => ({ Name: name, ErrorCode: errorCode })) };
  return {};
}

/** The response's error code where cheap to find (Produce partitions, a leading top-level error_code); 0 otherwise. */
export function responseErrorCode(apiKey: number, version: number, flexible: boolean, frame: Buffer, bodyOffset: number): number {
  if (apiKey === API_KEY.Produce) return produceResponseError(new Cursor(frame, bodyOffset), version, flexible);
  const at = topLevelErrorOffset(apiKey, version);
  if (at < 0 || bodyOffset + at + 2 > frame.length) return 0;
  return frame.readInt16BE(bodyOffset + at);
}
