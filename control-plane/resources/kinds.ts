/** The resource kinds meshsim understands, by kind and the apiVersions each is served under. */
import type { FieldReader } from "./field-reader.ts";
import { APPLICATION_PROTOCOL_API_VERSIONS, parseApplicationProtocolSpec, type ApplicationProtocol } from "./application-protocol.ts";
import { DESTINATION_RULE_API_VERSIONS, parseDestinationRuleSpec, type DestinationRule } from "./destination-rule.ts";
import { DUBBO_API_VERSIONS, parseDubboAuthorizationPolicySpec, type DubboAuthorizationPolicy } from "./dubbo-authorization-policy.ts";
import { META_ROUTER_API_VERSIONS, parseMetaRouterSpec, type MetaRouter } from "./meta-router.ts";
import { parseRedisDestinationSpec, type RedisDestination } from "./redis-destination.ts";
import { parseRedisServiceSpec, REDIS_API_VERSIONS, type RedisService } from "./redis-service.ts";
import type { ResourceMetadata } from "./resource.ts";
import {
  parseKubernetesServiceSpec,
  parsePodSpec,
  parseWorkloadSpec,
  POD_API_VERSIONS,
  SERVICE_API_VERSIONS,
  WORKLOAD_API_VERSIONS,
  type Deployment,
  type KubernetesService,
  type Pod,
  type StatefulSet,
} from "./kubernetes.ts";
import { parseTelemetrySpec, TELEMETRY_API_VERSIONS, type Telemetry } from "./telemetry.ts";
import { SERVICE_ENTRY_API_VERSIONS, parseServiceEntrySpec, type ServiceEntry } from "./service-entry.ts";

export type Resource =
  | ServiceEntry
  | DestinationRule
  | ApplicationProtocol
  | MetaRouter
  | RedisService
  | RedisDestination
  | DubboAuthorizationPolicy
  | KubernetesService
  | Deployment
  | StatefulSet
  | Pod
  | Telemetry;
export type ResourceKind = Resource["kind"];

interface KindInfo {
  apiVersions: readonly string[];
  parseSpec(spec: Record<string, unknown>, r: FieldReader, metadata: ResourceMetadata): Resource["spec"];
}

export const KINDS: Record<ResourceKind, KindInfo> = {
  ServiceEntry: { apiVersions: SERVICE_ENTRY_API_VERSIONS, parseSpec: parseServiceEntrySpec },
  DestinationRule: { apiVersions: DESTINATION_RULE_API_VERSIONS, parseSpec: parseDestinationRuleSpec },
  ApplicationProtocol: { apiVersions: APPLICATION_PROTOCOL_API_VERSIONS, parseSpec: parseApplicationProtocolSpec },
  MetaRouter: { apiVersions: META_ROUTER_API_VERSIONS, parseSpec: parseMetaRouterSpec },
  RedisService: { apiVersions: REDIS_API_VERSIONS, parseSpec: parseRedisServiceSpec },
  RedisDestination: { apiVersions: REDIS_API_VERSIONS, parseSpec: parseRedisDestinationSpec },
  DubboAuthorizationPolicy: { apiVersions: DUBBO_API_VERSIONS, parseSpec: parseDubboAuthorizationPolicySpec },
  // Kubernetes objects, read as hosts and their workloads (kubernetes.ts).
  Service: { apiVersions: SERVICE_API_VERSIONS, parseSpec: parseKubernetesServiceSpec },
  Deployment: { apiVersions: WORKLOAD_API_VERSIONS, parseSpec: parseWorkloadSpec },
  StatefulSet: { apiVersions: WORKLOAD_API_VERSIONS, parseSpec: parseWorkloadSpec },
  Pod: { apiVersions: POD_API_VERSIONS, parseSpec: parsePodSpec },
  Telemetry: { apiVersions: TELEMETRY_API_VERSIONS, parseSpec: parseTelemetrySpec },
};

export function isResourceKind(kind: string): kind is ResourceKind {
  return Object.hasOwn(KINDS, kind);
}
