/**
 * Envoy v3 protos (the bundles of proto-bundles.ts), and the conversions both ends of xDS need: plain objects (snake_case, as
 * in the .proto files) to Any bytes and back, and JSON to google.protobuf.Struct and back.
 * No gRPC here.
 */
import type protobuf from "protobufjs";
import { protoRoot } from "./proto-bundles.ts";

export const TYPE_URL = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
} as const;

export type TypeUrl = (typeof TYPE_URL)[keyof typeof TYPE_URL];

/**
 * Route configurations of Envoy's own Thrift and Dubbo filters, fetched over ADS by an Envoy
 * sidecar (thrift_proxy `trds`, dubbo_proxy `drds`). Their bundle loads on first use: only a
 * control plane serving Envoy needs it.
 */
export const ENVOY_NATIVE_TYPE_URL = {
  thriftRoute: "type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.RouteConfiguration",
  dubboRoute: "type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration",
} as const;

export const TYPED_STRUCT_TYPE_URL = "type.googleapis.com/xds.type.v3.TypedStruct";
export const UDPA_TYPED_STRUCT_TYPE_URL = "type.googleapis.com/udpa.type.v1.TypedStruct";

/** The root of the xDS bundle (see proto-bundles.ts). Field names are kept snake_case. */
export function envoyRoot(): protobuf.Root {
  return protoRoot("xds");
}

export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: String, arrays: true, defaults: false };

export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/** The message name of a type URL: `Cluster`, `ClusterLoadAssignment`, `Listener`, `RouteConfiguration`. */
export function shortTypeName(typeUrl: string): string {
  const name = typeUrl.slice(typeUrl.lastIndexOf(".") + 1);
  // Envoy's Thrift and Dubbo filters have route configurations of their own.
  if (typeUrl.includes(".thrift_proxy.")) return `Thrift${name}`;
  if (typeUrl.includes(".dubbo_proxy.")) return `Dubbo${name}`;
  return name;
}

const NATIVE_TYPE_URLS: ReadonlySet<string> = new Set(Object.values(ENVOY_NATIVE_TYPE_URL));

function lookup(typeUrl: string): protobuf.Type {
  const root = NATIVE_TYPE_URLS.has(typeUrl) ? protoRoot("envoy-native") : envoyRoot();
  return root.lookupType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
}

/** JSON → google.protobuf.Struct in protobufjs's object form (its built-in Struct uses camelCase names). */
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

/** google.protobuf.Struct (as decoded with TO_OBJECT_OPTIONS) → JSON. */
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

/**
 * Rewrites the JSON parts of a translated resource into Struct form: the `value` of a
 * TypedStruct and every entry of `filter_metadata`.
 */
function prepare(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prepare);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if ((obj["@type"] === TYPED_STRUCT_TYPE_URL || obj["@type"] === UDPA_TYPED_STRUCT_TYPE_URL) && obj.value && typeof obj.value === "object") {
    return { ...obj, value: toStruct(obj.value as Record<string, unknown>) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "filter_metadata" && v && typeof v === "object") {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([ns, s]) => [ns, toStruct(s as Record<string, unknown>)]));
    } else out[k] = prepare(v);
  }
  return out;
}

/** Encodes a translated resource (plain object, snake_case) as an Any of the given type URL. */
export function encodeAny(typeUrl: string, resource: object): AnyMessage {
  const type = lookup(typeUrl);
  const message = type.fromObject(prepare(resource) as Record<string, unknown>);
  const problem = type.verify(message);
  if (problem) throw new TypeError(`${typeUrl}: ${problem}`);
  return { type_url: typeUrl, value: type.encode(message).finish() };
}

/** Decodes the bytes of an Any whose type the root knows, as a plain object. */
export function decodeAny(typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = lookup(typeUrl);
  return type.toObject(type.decode(value), TO_OBJECT_OPTIONS);
}
