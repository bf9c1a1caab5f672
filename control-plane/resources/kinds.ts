/** The resource kinds meshsim understands, by kind and the apiVersions each is served under. */
import type { FieldReader } from "./field-reader.ts";
import { APPLICATION_PROTOCOL_API_VERSIONS, parseApplicationProtocolSpec, type ApplicationProtocol } from "./application-protocol.ts";
import { DESTINATION_RULE_API_VERSIONS, parseDestinationRuleSpec, type DestinationRule } from "./destination-rule.ts";
import { META_ROUTER_API_VERSIONS, parseMetaRouterSpec, type MetaRouter } from "./meta-router.ts";
import { SERVICE_ENTRY_API_VERSIONS, parseServiceEntrySpec, type ServiceEntry } from "./service-entry.ts";

export type Resource = ServiceEntry | DestinationRule | ApplicationProtocol | MetaRouter;
export type ResourceKind = Resource["kind"];

interface KindInfo {
  apiVersions: readonly string[];
  parseSpec(spec: Record<string, unknown>, r: FieldReader): Resource["spec"];
}

export const KINDS: Record<ResourceKind, KindInfo> = {
  ServiceEntry: { apiVersions: SERVICE_ENTRY_API_VERSIONS, parseSpec: parseServiceEntrySpec },
  DestinationRule: { apiVersions: DESTINATION_RULE_API_VERSIONS, parseSpec: parseDestinationRuleSpec },
  ApplicationProtocol: { apiVersions: APPLICATION_PROTOCOL_API_VERSIONS, parseSpec: parseApplicationProtocolSpec },
  MetaRouter: { apiVersions: META_ROUTER_API_VERSIONS, parseSpec: parseMetaRouterSpec },
};

export function isResourceKind(kind: string): kind is ResourceKind {
  return Object.hasOwn(KINDS, kind);
}
