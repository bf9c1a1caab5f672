import type { ListenerTracing, SpanExport } from "../tracing/tracing-config.ts";

/**
 * The proxy's own configuration model. The xDS client translates Envoy v3 resources into
 * these shapes; the proxy core reads nothing else.
 */

export interface ListenerConfig {
  name: string;
  /** Where the listener binds; the bootstrap's `redirects` may override it. */
  address: { host: string; port: number };
  /** Codec registry name, e.g. "thrift". */
  codec: string;
  /** Name of the route configuration served over RDS, `<host>_<port>`. */
  routeConfigName: string;
  statPrefix: string;
  /** Aeraki MetaRouter `localRateLimit`: applies to every request on this listener. */
  localRateLimit?: LocalRateLimitConfig;
  /** Aeraki MetaRouter `globalRateLimit`: asks an `envoy.service.ratelimit.v3` service. */
  globalRateLimit?: GlobalRateLimitConfig;
  /** Maximum size of one message; larger frames are rejected by the codec. */
  maxFrameSize?: number;
  /** Authorization policies (from DubboAuthorizationPolicy, or any protocol's equivalent). */
  authorization?: ReadonlyArray<AuthorizationPolicy>;
  /**
   * Kafka: broker address as brokers advertise it ("host:port") → the address clients should dial
   * instead (this proxy's listener for that broker). Applied to Metadata, FindCoordinator and
   * DescribeCluster responses so that clients only ever connect through the proxy.
   */
  kafkaBrokerAddresses?: Readonly<Record<string, { host: string; port: number }>>;
  /** The Redis proxy's own configuration (from a RedisService); set when `codec` is "redis". */
  redis?: RedisListenerConfig;
  /** Write one access log line per request (the proxy filter's `access_log`). */
  accessLog?: AccessLogConfig;
  /** Trace a share of requests (the proxy filter's `tracing`); spans go where the bootstrap says. */
  tracing?: ListenerTracing;
}

/** Where a listener's access log goes; `/dev/stdout` may be redirected by the bootstrap. */
export interface AccessLogConfig {
  path: string;
}

export type RedisReadPolicy = "MASTER" | "PREFER_MASTER" | "REPLICA" | "PREFER_REPLICA" | "ANY";

/** Where a Redis route sends commands, plus copies to mirrors. */
export interface RedisRouteTarget {
  cluster: string;
  mirrors: ReadonlyArray<{ cluster: string; percentage: number; excludeReadCommands: boolean }>;
}

export interface RedisPrefixRoute extends RedisRouteTarget {
  prefix: string;
  removePrefix: boolean;
}

export interface RedisFaultConfig {
  type: "ERROR" | "DELAY";
  percentage: number;
  delayMs: number;
  /** Lower-case command names; empty: every command (AUTH and PING are never faulted). */
  commands: ReadonlyArray<string>;
}

/** Envoy's redis_proxy settings, as a RedisService states them. */
export interface RedisListenerConfig {
  /** Longest prefix wins; `catchAll` takes keys no prefix matches. */
  routes: ReadonlyArray<RedisPrefixRoute>;
  catchAll?: RedisRouteTarget;
  caseInsensitive: boolean;
  opTimeoutMs: number;
  enableCommandStats: boolean;
  /** 0: write upstream at the end of each event-loop turn. */
  maxBufferSizeBeforeFlush: number;
  bufferFlushTimeoutMs: number;
  enableHashtagging: boolean;
  enableRedirection: boolean;
  readPolicy: RedisReadPolicy;
  /** Clients must AUTH with these. */
  downstreamAuth?: { username?: string; password: string };
  faults: ReadonlyArray<RedisFaultConfig>;
}

/** Upstream Redis facts of a cluster (from a RedisDestination). */
export interface RedisClusterSettings {
  /** proxy: one server, or several sharded by key hash; cluster: a Redis Cluster (slots, MOVED/ASK). */
  mode: "proxy" | "cluster";
  /** Sent as AUTH on every new upstream connection. */
  auth?: { username?: string; password: string };
  /** Cluster mode: where to ask CLUSTER SLOTS first (the cluster's endpoints otherwise). */
  discoveryEndpoints?: ReadonlyArray<Endpoint>;
}

/**
 * Istio semantics: a request matching any DENY policy is denied; when ALLOW policies exist, a
 * request matching none of them is denied; otherwise it is allowed. A policy matches when any of
 * its rules matches; a rule matches when all of its matchers hold.
 */
export interface AuthorizationPolicy {
  name: string;
  action: "ALLOW" | "DENY";
  rules: ReadonlyArray<ReadonlyArray<AttributeMatch>>;
}

export interface TokenBucket {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

/**
 * Aeraki semantics: conditions are tried in order and the first whose matchers all hold uses its
 * own bucket; a request no condition matches uses the default bucket, or passes when there is none.
 */
export interface LocalRateLimitConfig {
  tokenBucket?: TokenBucket;
  conditions: ReadonlyArray<{ match: ReadonlyArray<AttributeMatch>; tokenBucket: TokenBucket }>;
}

export interface GlobalRateLimitConfig {
  domain: string;
  /** The cluster of the rate-limit service (gRPC). */
  rateLimitServiceCluster: string;
  /** Deny when the service cannot be reached or answers late (Envoy's failure_mode_deny). */
  denyOnFail: boolean;
  timeoutMs: number;
  /** Each descriptor entry takes its value from a metadata key (Aeraki's `descriptors[].property`). */
  descriptors: ReadonlyArray<{ key: string; property: string }>;
  /** Optional match: only requests matching are checked. */
  match?: ReadonlyArray<AttributeMatch>;
}

export type AttributeMatch =
  | { name: string; kind: "exact"; value: string }
  | { name: string; kind: "prefix"; value: string }
  | { name: string; kind: "regex"; value: string }
  | { name: string; kind: "present" };

export type RouteAction = { kind: "cluster"; cluster: string } | { kind: "weighted"; clusters: ReadonlyArray<{ name: string; weight: number }> };

export interface HeaderMutation {
  key: string;
  value: string;
}

/** meshsim extension (Aeraki has none for meta protocols): fault injection per route. */
export interface RouteFault {
  /** Answer locally with an error instead of forwarding. */
  abort?: { percentage: number /** LocalErrorKind-like label carried in the error reply. */; errorKind: string; message?: string };
  /** Hold the request before forwarding. */
  delay?: { percentage: number; fixedDelayMs: number };
}

/** meshsim extension: retries per route. */
export interface RetryPolicy {
  attempts: number;
  perTryTimeoutMs?: number;
  /** connect-failure, reset, error-reply (an upstream application error), timeout. */
  retryOn: ReadonlyArray<"connect-failure" | "reset" | "error-reply" | "timeout">;
  /** Retries allowed as a share of active requests (Envoy's retry budget), 0..1. */
  budget?: number;
}

export interface RouteEntry {
  name: string;
  match: ReadonlyArray<AttributeMatch>;
  action: RouteAction;
  requestMutation?: ReadonlyArray<HeaderMutation>;
  responseMutation?: ReadonlyArray<HeaderMutation>;
  /** Copy a share of requests to another cluster, fire and forget. */
  mirror?: { cluster: string; percentage: number };
  /** Metadata keys whose values feed consistent hashing (ring hash / maglev clusters). */
  hashPolicy?: ReadonlyArray<string>;
  /** meshsim extension: whole-request timeout including retries. */
  timeoutMs?: number;
  retries?: RetryPolicy;
  fault?: RouteFault;
}

export interface RouteConfig {
  name: string;
  routes: ReadonlyArray<RouteEntry>;
}

export type LbPolicy = "round_robin" | "least_request" | "random" | "ring_hash" | "maglev";

export interface ClusterConfig {
  name: string;
  lbPolicy: LbPolicy;
  connectTimeoutMs: number;
  /** Upstream connections kept per endpoint. */
  connectionsPerEndpoint: number;
  /** From DestinationRule connectionPool; absent = unlimited. */
  circuitBreakers?: { maxConnections?: number; maxPendingRequests?: number; maxRequests?: number; maxRetries?: number };
  /** From DestinationRule outlierDetection. */
  outlierDetection?: { consecutiveErrors: number; intervalMs: number; baseEjectionTimeMs: number; maxEjectionPercent: number };
  /** Ring hash minimum ring size (ring_hash only). */
  minimumRingSize?: number;
  /** Set for clusters of Redis servers. */
  redis?: RedisClusterSettings;
}

export interface Endpoint {
  host: string;
  port: number;
  /** Who serves at this address (Istio's `istio.workload` endpoint metadata), for labelled metrics. */
  workload?: EndpointWorkload;
}

export interface EndpointWorkload {
  name: string;
  namespace: string;
  app: string;
  version: string;
}

export interface ClusterLoadAssignment {
  clusterName: string;
  endpoints: ReadonlyArray<Endpoint>;
}

/** What the proxy process starts from (a small Envoy-like bootstrap). */
/** Where a listener binds instead of its own address, and where clients reach it when that differs. */
export interface ListenerRedirect {
  host: string;
  port: number;
  /**
   * The address clients dial for this listener when it is not where it binds: a port a container
   * engine publishes on the host. Kafka listeners tell clients this address for their broker.
   */
  advertise?: { host: string; port: number };
}

export interface Bootstrap {
  node: { id: string; cluster: string; metadata?: Record<string, string> };
  /** gRPC ADS server, "host:port". Absent: the proxy runs on `staticResources` alone. */
  xds?: { address: string };
  admin: { host: string; port: number };
  /**
   * Listener name → local address to bind instead of the listener's own address. In process
   * mode this plays the part iptables plays in a pod: it sends a client's traffic for
   * `hello.default.svc.cluster.local:9090` to the sidecar's local port.
   */
  redirects?: Record<string, ListenerRedirect> | undefined;
  /**
   * Where access logs the control plane sends to `/dev/stdout` are written instead: this
   * process's stdout carries its ready line, and a run keeps each sidecar's log in a file.
   */
  accessLogStdoutPath?: string;
  /** Where sampled requests' spans go (OTLP/HTTP JSON to a file or a collector); absent: no spans. */
  tracing?: SpanExport;
  /** Configuration applied at start, before (or instead of) anything from xDS — as Envoy's static_resources. */
  staticResources?: {
    listeners?: ListenerConfig[];
    clusters?: ClusterConfig[];
    endpoints?: ClusterLoadAssignment[];
    routes?: RouteConfig[];
  };
}
