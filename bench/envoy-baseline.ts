/**
 * Envoy as a benchmark baseline: the pinned upstream build with a static configuration — one
 * listener with its native filter for the protocol (thrift_proxy, dubbo_proxy, redis_proxy)
 * routing everything to one static cluster — `--concurrency 1`, like the meshsim proxy's
 * single event loop. Started through the same launcher as Envoy sidecars; `envoyPid` is Envoy's
 * own process, for its CPU time and peak memory.
 */
import type { ProcessSupervisor } from "../simulator/runtime/process-supervisor.ts";
import { nodeScript } from "../simulator/runtime/node-command.ts";
import { envoyMissing, envoyPath } from "../simulator/runtime/envoy/binary.ts";
import { allocatePort } from "../simulator/topology/ports.ts";

const FILTERS: Record<string, (cluster: string) => { name: string; typed_config: Record<string, unknown> }> = {
  thrift: (cluster) => ({
    name: "envoy.filters.network.thrift_proxy",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy",
      stat_prefix: "bench",
      transport: "AUTO_TRANSPORT",
      protocol: "AUTO_PROTOCOL",
      route_config: { name: "bench", routes: [{ match: { method_name: "" }, route: { cluster } }] },
    },
  }),
  dubbo: (cluster) => ({
    name: "envoy.filters.network.dubbo_proxy",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy",
      stat_prefix: "bench",
      multiple_route_config: { name: "bench", route_config: [{ name: "bench", interface: "*", routes: [{ match: { method: { name: { safe_regex: { regex: ".*" } } } }, route: { cluster } }] }] },
    },
  }),
  redis: (cluster) => ({
    name: "envoy.filters.network.redis_proxy",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy",
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

export async function startEnvoyBaseline(supervisor: ProcessSupervisor, protocol: keyof typeof FILTERS, upstreamPort: number): Promise<EnvoyBaseline> {
  const binary = envoyPath();
  if (!binary) throw new Error(envoyMissing());
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
  const p = await supervisor.start({ name: `envoy-${protocol}`, ...nodeScript("simulator/runtime/envoy/launcher.ts", ["--envoy", binary, "--bootstrap-json", JSON.stringify(bootstrap)]), readyTimeoutMs: 30_000 });
  return { port, envoyPid: Number(p.ready.envoyPid) };
}
