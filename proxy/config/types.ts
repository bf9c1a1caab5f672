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
}

export type AttributeMatch =
  | { name: string; kind: "exact"; value: string }
  | { name: string; kind: "prefix"; value: string }
  | { name: string; kind: "regex"; value: string }
  | { name: string; kind: "present" };

export type RouteAction =
  | { kind: "cluster"; cluster: string }
  | { kind: "weighted"; clusters: ReadonlyArray<{ name: string; weight: number }> };

export interface RouteEntry {
  name: string;
  match: ReadonlyArray<AttributeMatch>;
  action: RouteAction;
}

export interface RouteConfig {
  name: string;
  routes: ReadonlyArray<RouteEntry>;
}

export interface ClusterConfig {
  name: string;
  lbPolicy: "round_robin";
  connectTimeoutMs: number;
  /** Upstream connections kept per endpoint. */
  connectionsPerEndpoint: number;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface ClusterLoadAssignment {
  clusterName: string;
  endpoints: ReadonlyArray<Endpoint>;
}

/** What the proxy process starts from (a small Envoy-like bootstrap). */
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
  redirects?: Record<string, { host: string; port: number }>;
  /** Configuration applied at start, before (or instead of) anything from xDS — as Envoy's static_resources. */
  staticResources?: {
    listeners?: ListenerConfig[];
    clusters?: ClusterConfig[];
    endpoints?: ClusterLoadAssignment[];
    routes?: RouteConfig[];
  };
}
