export { parseResources, parseResourceDocument, loadResourceFiles, expandResourcePaths, type ParseResult } from "./parse.ts";
export { validateResources } from "./validate.ts";
export { KINDS, isResourceKind, type Resource, type ResourceKind } from "./kinds.ts";
export { DEFAULT_NAMESPACE, resourceKey, resourceLabel, syntheticSource, type ResourceSource, type TypedResource } from "./resource.ts";
export { parseDuration } from "./field-reader.ts";
export type { ServiceEntry, ServiceEntrySpec, ServicePort, WorkloadEntry } from "./service-entry.ts";
export type { DestinationRule, DestinationRuleSpec, Subset, TrafficPolicySpec, LoadBalancerSpec, ConnectionPoolSpec, OutlierDetectionSpec } from "./destination-rule.ts";
export type { ApplicationProtocol, ApplicationProtocolSpec } from "./application-protocol.ts";
export type {
  MetaRouter,
  MetaRouterSpec,
  MetaRoute,
  StringMatch,
  Destination,
  RouteDestination,
  KeyValue,
  LocalRateLimitSpec,
  GlobalRateLimitSpec,
  TokenBucketSpec,
} from "./meta-router.ts";
export { ROUTE_POLICIES_ANNOTATION, type RoutePolicy } from "./route-policy.ts";
export type { RedisService, RedisServiceSpec, RedisRoute, RedisFault, RedisAuth } from "./redis-service.ts";
export type { RedisDestination, RedisDestinationSpec } from "./redis-destination.ts";
export type { DubboAuthorizationPolicy, DubboAuthorizationPolicySpec, DubboRule } from "./dubbo-authorization-policy.ts";
