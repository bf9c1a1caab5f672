/**
 * MetaProtocol host:port → an outbound listener with Aeraki's MetaProtocol proxy filter,
 * configured as a TypedStruct (so that proxies without Aeraki's protos can read it) and
 * taking its routes from RDS over ADS. The MetaRouter's rate limits become Aeraki's
 * `meta_protocol_filters` (local_ratelimit, ratelimit) ahead of the router; Dubbo listeners
 * also get the DubboAuthorizationPolicies that apply to them.
 * gRPC host:port → an API listener `<host>:<port>` (what an `xds:///<host>:<port>` target
 * asks for) with an HTTP connection manager: RDS, the fault filter and the router.
 */
import type { Resource } from "../resources/kinds.ts";
import type { GlobalRateLimitSpec, LocalRateLimitSpec, TokenBucketSpec } from "../resources/meta-router.ts";
import { accessLogFor, tracingFor } from "./telemetry.ts";
import { authorizationFor } from "./authorization.ts";
import { indexOf } from "./index-cache.ts";
import { durationString, META_FILTER, META_PROTOCOL_PROXY_FILTER, META_PROTOCOL_PROXY_TYPE_URL, TYPED_STRUCT_TYPE_URL, type EnvoyListener } from "./envoy-types.ts";
import { routeConfigName, routedServices, type RoutedService } from "./meta-protocol-services.ts";
import { perService } from "./service-memo.ts";
import { headerMatchers, HTTP_FAULT_FILTER, routersByHost } from "./route.ts";

const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
/** Aeraki's default for the rate-limit service call. */
const DEFAULT_RATE_LIMIT_TIMEOUT_MS = 20;

function codecName(resources: readonly Resource[], app: string): string {
  return indexOf(resources).codecs.get(app) ?? `aeraki.meta_protocol.codec.${app}`;
}

/** Where an outbound listener binds: the service's first address without its prefix length, else 0.0.0.0. */
export function listenAddress(addresses: readonly string[]): string {
  const first = addresses[0];
  return first ? first.replace(/\/\d+$/, "") : "0.0.0.0";
}

function tokenBucket(tb: TokenBucketSpec | undefined): Record<string, unknown> {
  return {
    max_tokens: tb?.maxTokens ?? 0,
    tokens_per_fill: tb?.tokensPerFill ?? 1,
    fill_interval: durationString(tb?.fillIntervalMs ?? 0),
  };
}

function localRateLimit(statPrefix: string, l: LocalRateLimitSpec): Record<string, unknown> {
  return {
    stat_prefix: statPrefix,
    ...(l.tokenBucket && { token_bucket: tokenBucket(l.tokenBucket) }),
    conditions: l.conditions.map((c) => ({ match: { metadata: headerMatchers(c.match?.attributes) }, token_bucket: tokenBucket(c.tokenBucket) })),
  };
}

function globalRateLimit(statPrefix: string, g: GlobalRateLimitSpec): Record<string, unknown> {
  return {
    stat_prefix: statPrefix,
    domain: g.domain ?? "",
    ...(g.match && { match: { metadata: headerMatchers(g.match.attributes) } }),
    descriptors: g.descriptors.map((d) => ({ property: d.property, descriptor_key: d.descriptorKey })),
    timeout: durationString(g.requestTimeoutMs ?? DEFAULT_RATE_LIMIT_TIMEOUT_MS),
    failure_mode_deny: g.denyOnFail,
    rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: g.rateLimitService ?? "" } } },
  };
}

function metaListener(resources: readonly Resource[], svc: RoutedService): EnvoyListener {
  const name = routeConfigName(svc.host, svc.port.number);
  const statPrefix = `outbound|${svc.port.number}||${svc.host}`;
  const router = routersByHost(resources).get(svc.host);
  const filters: Array<{ name: string; config: Record<string, unknown> }> = [];
  if (svc.applicationProtocol === "dubbo") {
    const policies = authorizationFor(resources, svc.serviceEntry.metadata.namespace);
    if (policies.length > 0) filters.push({ name: META_FILTER.authorization, config: { policies } });
  }
  if (router?.spec.localRateLimit) filters.push({ name: META_FILTER.localRateLimit, config: localRateLimit(statPrefix, router.spec.localRateLimit) });
  if (router?.spec.globalRateLimit) filters.push({ name: META_FILTER.globalRateLimit, config: globalRateLimit(statPrefix, router.spec.globalRateLimit) });
  const accessLog = accessLogFor(resources, svc.host, svc.serviceEntry);
  const tracing = tracingFor(resources, svc.host, svc.serviceEntry);
  return {
    name,
    address: { socket_address: { address: listenAddress(svc.serviceEntry.spec.addresses), port_value: svc.port.number } },
    traffic_direction: "OUTBOUND",
    filter_chains: [
      {
        filters: [
          {
            name: META_PROTOCOL_PROXY_FILTER,
            typed_config: {
              "@type": TYPED_STRUCT_TYPE_URL,
              type_url: META_PROTOCOL_PROXY_TYPE_URL,
              value: {
                stat_prefix: statPrefix,
                application_protocol: svc.applicationProtocol,
                codec: { name: codecName(resources, svc.applicationProtocol) },
                rds: { route_config_name: name, config_source: { ads: {} } },
                ...(filters.length > 0 && { meta_protocol_filters: [...filters, { name: META_FILTER.router, config: {} }] }),
                ...(accessLog && { access_log: accessLog }),
                ...(tracing && { tracing }),
              },
            },
          },
        ],
      },
    ],
  };
}

/** The listener name a gRPC client asks for with `xds:///<host>:<port>`. */
export function grpcListenerName(host: string, port: number): string {
  return `${host}:${port}`;
}

function grpcListener(svc: RoutedService): EnvoyListener {
  return {
    name: grpcListenerName(svc.host, svc.port.number),
    api_listener: {
      api_listener: {
        "@type": HCM_TYPE,
        stat_prefix: `outbound|${svc.port.number}||${svc.host}`,
        rds: { route_config_name: routeConfigName(svc.host, svc.port.number), config_source: { ads: {}, resource_api_version: "V3" } },
        http_filters: [
          { name: HTTP_FAULT_FILTER, typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault" } },
          { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
        ],
      },
    },
  };
}

export function translateListeners(resources: readonly Resource[]): EnvoyListener[] {
  const meta = routedServices(resources)
    .filter((s) => s.kind === "meta")
    .map((svc) => perService(resources, svc, "listener", () => metaListener(resources, svc)));
  const grpc = routedServices(resources)
    .filter((s) => s.kind === "grpc")
    .map((svc) => perService(resources, svc, "listener", () => grpcListener(svc)));
  return [...meta, ...grpc];
}
