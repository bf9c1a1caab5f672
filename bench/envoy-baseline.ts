/**
 * Envoy as a benchmark baseline: the pinned upstream build with a static configuration — one
 * listener with its native filter for the protocol (thrift_proxy, dubbo_proxy, redis_proxy)
 * routing everything to one static cluster — `--concurrency 1` unless asked otherwise, like the
 * meshsim proxy's single event loop. Started through the same launcher as Envoy sidecars; `envoyPid` is Envoy's
 * own process, for its CPU time and peak memory.
 */
import type { ProcessSupervisor } from "../simulator/runtime/process-supervisor.ts";
import { envoySpawn } from "../simulator/runtime/envoy/sidecar.ts";
import { THRIFT_PROXY_FILTER, THRIFT_PROXY_TYPE_URL } from "../control-plane/translate/envoy/thrift.ts";
import { DUBBO_PROXY_FILTER, DUBBO_PROXY_TYPE_URL } from "../control-plane/translate/envoy/dubbo.ts";
import { REDIS_PROXY_FILTER, REDIS_PROXY_TYPE_URL } from "../control-plane/translate/redis.ts";
import { allocatePort } from "../common/ports.ts";

const FILTERS: Record<string, (cluster: string) => { name: string; typed_config: Record<string, unknown> }> = {
  thrift: (cluster) => ({
    name: THRIFT_PROXY_FILTER,
    typed_config: {
      "@type": THRIFT_PROXY_TYPE_URL,
      stat_prefix: "bench",
      transport: "AUTO_TRANSPORT",
      protocol: "AUTO_PROTOCOL",
      route_config: { name: "bench", routes: [{ match: { method_name: "" }, route: { cluster } }] },
    },
  }),
  dubbo: (cluster) => ({
    name: DUBBO_PROXY_FILTER,
    typed_config: {
      "@type": DUBBO_PROXY_TYPE_URL,
      stat_prefix: "bench",
      multiple_route_config: { name: "bench", route_config: [{ name: "bench", interface: "*", routes: [{ match: { method: { name: { safe_regex: { regex: ".*" } } } }, route: { cluster } }] }] },
    },
  }),
  redis: (cluster) => ({
    name: REDIS_PROXY_FILTER,
    typed_config: {
      "@type": REDIS_PROXY_TYPE_URL,
      stat_prefix: "bench",
      settings: { op_timeout: "5s" },
      prefix_routes: { catch_all_route: { cluster } },
    },
  }),
};

export interface EnvoyBaseline {
  port: number;
  /** Envoy's own PID (not the launcher's). */
  envoyPid: number;
}

export async function startEnvoyBaseline(supervisor: ProcessSupervisor, protocol: keyof typeof FILTERS, upstreamPort: number, options: { concurrency?: number } = {}): Promise<EnvoyBaseline> {
  const port = await allocatePort();
  const bootstrap = {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } },
    static_resources: {
      listeners: [{ name: "bench", address: { socket_address: { address: "127.0.0.1", port_value: port } }, filter_chains: [{ filters: [FILTERS[protocol]!("upstream")] }] }],
      clusters: [
        {
          name: "upstream",
          type: "STATIC",
          connect_timeout: "1s",
          load_assignment: { cluster_name: "upstream", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: upstreamPort } } } }] }] },
        },
      ],
    },
  };
  const p = await supervisor.start(envoySpawn(`envoy-${protocol}`, bootstrap, options));
  return { port, envoyPid: Number(p.ready.envoyPid) };
}
