/**
 * Envoy v3 protos loaded with protobufjs from the proto trees that ship with
 * @grpc/grpc-js-xds, plus the conversions between plain objects and protobuf messages that the
 * xDS server needs. No gRPC here.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import protobuf from "protobufjs";
import { TYPED_STRUCT_TYPE_URL } from "../translate/envoy-types.ts";

const PROTO_FILES = [
  "envoy/service/discovery/v3/ads.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/route/v3/route.proto",
  "xds/type/v3/typed_struct.proto",
];

let cached: protobuf.Root | undefined;

/** The loaded root (loaded once per process; about 100 ms). Field names are kept snake_case. */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  const includes = [
    ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(deps, d)),
    // google/protobuf/descriptor.proto and friends.
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

export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/** google.protobuf.Struct in protobufjs's object form (its built-in Struct uses camelCase names). */
export function toStruct(value: Record<string, unknown>): { fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

function toValue(v: unknown): unknown {
  if (v === null) return { nullValue: "NULL_VALUE" };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === "object") return { structValue: toStruct(v as Record<string, unknown>) };
  throw new TypeError(`cannot put ${typeof v} in a Struct`);
}

/** Rewrites TypedStruct values (plain JSON in the translator's output) into Struct form. */
function prepare(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prepare);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj["@type"] === TYPED_STRUCT_TYPE_URL && obj.value && typeof obj.value === "object") {
    return { ...obj, value: toStruct(obj.value as Record<string, unknown>) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = prepare(v);
  return out;
}

/** Encodes a translated resource as an Any of the given type URL. */
export function encodeAny(typeUrl: string, resource: object): AnyMessage {
  const type = envoyRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  const message = type.fromObject(prepare(resource) as Record<string, unknown>);
  const problem = type.verify(message);
  if (problem) throw new TypeError(`${typeUrl}: ${problem}`);
  return { type_url: typeUrl, value: type.encode(message).finish() };
}

/** The message name of a type URL: `Cluster`, `ClusterLoadAssignment`, `Listener`, `RouteConfiguration`. */
export function shortTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf(".") + 1);
}
