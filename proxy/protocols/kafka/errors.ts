/**
 * The Kafka error codes the proxy writes in local replies, and how a meshsim local error maps
 * onto them. A fault abort may name any error here (`errorKind: REQUEST_TIMED_OUT`).
 */
import type { LocalError } from "../../codec/codec.ts";

export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  KAFKA_STORAGE_ERROR: 56,
  THROTTLING_QUOTA_EXCEEDED: 89,
} as const;

export type KafkaErrorName = keyof typeof KAFKA_ERRORS;

const NAMED = new RegExp(`\\b(${Object.keys(KAFKA_ERRORS).join("|")})\\b`);

/** The Kafka error code a local reply carries for `error` on a request that has topics or not. */
export function kafkaErrorFor(error: LocalError, hasTopics: boolean): number {
  const named = NAMED.exec(error.message);
  if (named) return KAFKA_ERRORS[named[1] as KafkaErrorName];
  switch (error.kind) {
    case "timeout":
      return KAFKA_ERRORS.REQUEST_TIMED_OUT;
    case "rate_limited":
    case "overflow":
      return KAFKA_ERRORS.THROTTLING_QUOTA_EXCEEDED;
    case "no_healthy_endpoint":
    case "upstream_failure":
      return KAFKA_ERRORS.NETWORK_EXCEPTION;
    case "unauthorized":
      return hasTopics ? KAFKA_ERRORS.TOPIC_AUTHORIZATION_FAILED : KAFKA_ERRORS.CLUSTER_AUTHORIZATION_FAILED;
    default:
      return KAFKA_ERRORS.UNKNOWN_SERVER_ERROR;
  }
}
