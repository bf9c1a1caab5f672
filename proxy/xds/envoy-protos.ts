/**
 * Envoy v3 protos for the proxy's xDS client, loaded with protobufjs from the proto trees
 * shipped with @grpc/grpc-js-xds, and the Struct conversions the client needs.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import protobuf from "protobufjs";

export const TYPE_URL = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
} as const;

export type TypeUrl = (typeof TYPE_URL)[keyof typeof TYPE_URL];

const PROTO_FILES = [
  "envoy/service/discovery/v3/ads.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/route/v3/route.proto",
  "xds/type/v3/typed_struct.proto",
  "udpa/type/v1/typed_struct.proto",
];

let cached: protobuf.Root | undefined;

/** Loaded once per process; field names kept snake_case as in the .proto files. */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  const includes = [
    ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(deps, d)),
    dirname(require.resolve("protobufjs/package.json")),
  ];
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includes) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: String, arrays: true, defaults: false };

/** Decodes the bytes of an Any whose type the root knows, as a plain object. */
export function decodeAny(typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = envoyRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  return type.toObject(type.decode(value), TO_OBJECT_OPTIONS);
}

/** protobufjs's built-in Struct uses camelCase field names (stringValue, structValue, ...). */
export function toStruct(value: Record<string, string>): { fields: Record<string, unknown> } {
  return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, { stringValue: v }])) };
}

export function fromStruct(struct: unknown): Record<string, unknown> {
  const fields = (struct as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fromValue(v)]));
}

function fromValue(v: unknown): unknown {
  const value = (v ?? {}) as Record<string, unknown>;
  if ("stringValue" in value) return value.stringValue;
  if ("numberValue" in value) return value.numberValue;
  if ("boolValue" in value) return value.boolValue;
  if ("structValue" in value) return fromStruct(value.structValue);
  if ("listValue" in value) return ((value.listValue as { values?: unknown[] }).values ?? []).map(fromValue);
  return null;
}
