/**
 * The Envoy API protos meshsim uses, shipped as protobufjs JSON descriptors in `common/protos/`
 * (written by `npm run protos` from the .proto trees of a dev dependency), so the package needs
 * no other package's internal folders at run time. Three bundles, each loaded on first use: a
 * proxy never pays for Envoy's Thrift/Dubbo route types or the rate-limit service.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

export const PROTO_BUNDLES = {
  /** ADS and the resource types every xDS peer reads. */
  xds: [
    "envoy/service/discovery/v3/ads.proto",
    "envoy/config/cluster/v3/cluster.proto",
    "envoy/config/endpoint/v3/endpoint.proto",
    "envoy/config/listener/v3/listener.proto",
    "envoy/config/route/v3/route.proto",
    // What gRPC's own xDS client reads: an API listener with an HTTP connection manager.
    "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
    "envoy/extensions/filters/http/router/v3/router.proto",
    "envoy/extensions/filters/http/fault/v3/fault.proto",
    "xds/type/v3/typed_struct.proto",
    "udpa/type/v1/typed_struct.proto",
  ],
  /** Route configurations of Envoy's own Thrift and Dubbo filters (trds, drds). */
  "envoy-native": ["envoy/extensions/filters/network/thrift_proxy/v3/route.proto", "envoy/extensions/filters/network/dubbo_proxy/v3/route.proto"],
  /** Envoy's global rate-limit service. */
  ratelimit: ["envoy/service/ratelimit/v3/rls.proto"],
} as const;

export type ProtoBundle = keyof typeof PROTO_BUNDLES;

const roots = new Map<ProtoBundle, protobuf.Root>();

/** The bundle's root, parsed from its JSON descriptor once per process. Field names are snake_case. */
export function protoRoot(bundle: ProtoBundle): protobuf.Root {
  let root = roots.get(bundle);
  if (!root) {
    root = protobuf.Root.fromJSON(JSON.parse(readFileSync(bundlePath(bundle), "utf8")) as protobuf.INamespace);
    root.resolveAll();
    roots.set(bundle, root);
  }
  return root;
}

/**
 * The bundle's file: beside this module (sources and dist/), or above it when this module runs
 * inside an esbuild bundle in .cache/bundles/.
 */
export function bundlePath(bundle: ProtoBundle): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [join(dir, "protos", `${bundle}.json`), join(dir, "common", "protos", `${bundle}.json`)]) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`meshsim: the ${bundle} proto bundle (common/protos/${bundle}.json) is missing from this installation`);
    dir = parent;
  }
}
