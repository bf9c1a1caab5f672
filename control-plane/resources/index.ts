export { parseResources, parseResourceDocument, loadResourceFiles, expandResourcePaths, type ParseResult } from "./parse.ts";
export { validateResources } from "./validate.ts";
export { KINDS, isResourceKind, type Resource, type ResourceKind } from "./kinds.ts";
export { DEFAULT_NAMESPACE, resourceKey, resourceLabel, syntheticSource, type ResourceSource, type TypedResource } from "./resource.ts";
export type { ServiceEntry, ServiceEntrySpec, ServicePort, WorkloadEntry } from "./service-entry.ts";
export type { DestinationRule, DestinationRuleSpec, Subset } from "./destination-rule.ts";
export type { ApplicationProtocol, ApplicationProtocolSpec } from "./application-protocol.ts";
export type { MetaRouter, MetaRouterSpec, MetaRoute, StringMatch, Destination, RouteDestination } from "./meta-router.ts";
