/**
 * The ADS service definition (both the state-of-the-world and the incremental method) and
 * hand-written encoders for the responses. Responses are built from the snapshot's already
 * encoded Any bytes, so a resource is serialised once per version however many proxies get it;
 * a full-state body is shared by every proxy with the same view and only the nonce is appended
 * per proxy.
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { envoyRoot, fromStruct, TO_OBJECT_OPTIONS, type AnyMessage } from "../../common/envoy-protos.ts";

const SERVICE = "/envoy.service.discovery.v3.AggregatedDiscoveryService";
export const SOTW_PATH = `${SERVICE}/StreamAggregatedResources`;
export const DELTA_PATH = `${SERVICE}/DeltaAggregatedResources`;

export interface RequestNode {
  id?: string;
  cluster?: string;
  metadata?: unknown;
  user_agent_name?: string;
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: RequestNode;
  /** Set by protobufjs-built requests; requests off the wire carry `names_raw` instead. */
  resource_names?: string[];
  /** The bytes of the resource_names fields as received (compared, and decoded only when they change). */
  names_raw?: Buffer;
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

export interface DeltaDiscoveryRequest {
  node?: RequestNode;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

/** The namespace a proxy declares in its node metadata (Istio's `NAMESPACE`). */
export function nodeNamespace(node: RequestNode | undefined): string | undefined {
  if (!node?.metadata) return undefined;
  const ns = fromStruct(node.metadata).NAMESPACE;
  return typeof ns === "string" && ns !== "" ? ns : undefined;
}

/** DiscoveryResponse fields 1 (version_info), 2 (resources), 4 (type_url); the nonce (5) comes later. */
export function encodeSotwBody(version: string, typeUrl: string, resources: readonly AnyMessage[]): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).string(version);
  for (const a of resources) w.uint32(18).fork().uint32(10).string(a.type_url).uint32(18).bytes(a.value).ldelim();
  w.uint32(34).string(typeUrl);
  return Buffer.from(w.finish());
}

/** A response: a body (often shared between proxies) plus this stream's nonce, joined only when serialised. */
export interface Frame {
  body: Buffer;
  nonce: string;
}

function isFrame(m: object): m is Frame {
  return "body" in m && Buffer.isBuffer(m.body) && "nonce" in m && typeof m.nonce === "string";
}

/**
 * Serialises a frame (its body, then the nonce as field 5) into one buffer reused for every
 * response. gRPC copies a serialised message into its own frame at once and keeps nothing, so
 * a fresh copy per response would only be garbage: two thousand proxies connecting at once each
 * get the megabytes of the full configuration, and every such copy brings a full collection closer.
 */
export function frameSerializer(): (frame: Frame) => Buffer {
  let scratch = Buffer.allocUnsafe(64 * 1024);
  return ({ body, nonce }) => {
    const nonceLength = Buffer.byteLength(nonce);
    const size = body.length + 1 + varintLength(nonceLength) + nonceLength;
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
    body.copy(scratch, 0);
    let pos = body.length;
    scratch[pos++] = 42; // field 5, length-delimited
    for (let n = nonceLength; ; n >>>= 7) {
      if (n < 0x80) {
        scratch[pos++] = n;
        break;
      }
      scratch[pos++] = (n & 0x7f) | 0x80;
    }
    scratch.write(nonce, pos, "utf8");
    return scratch.subarray(0, size);
  };
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n >>>= 7;
    length += 1;
  }
  return length;
}

/** DeltaDiscoveryResponse without its nonce (field 5, added by `frameSerializer`). */
export function encodeDeltaBody(systemVersion: string, typeUrl: string, resources: ReadonlyArray<{ name: string; version: string; any: AnyMessage }>, removed: readonly string[]): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).string(systemVersion);
  for (const r of resources) {
    w.uint32(18).fork();
    w.uint32(10).string(r.version);
    w.uint32(18).fork().uint32(10).string(r.any.type_url).uint32(18).bytes(r.any.value).ldelim();
    w.uint32(26).string(r.name);
    w.ldelim();
  }
  w.uint32(34).string(typeUrl);
  for (const name of removed) w.uint32(50).string(name);
  return Buffer.from(w.finish());
}

/** The names in a `names_raw` slice (a run of field-3 strings). */
export function decodeNames(raw: Buffer | undefined): string[] {
  if (!raw) return [];
  const r = protobuf.Reader.create(raw);
  const out: string[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 3) out.push(r.string());
    else r.skipType(tag & 7);
  }
  return out;
}

/**
 * A DiscoveryRequest read field by field. resource_names (an Envoy ACK repeats thousands of
 * them) is kept as the raw bytes it arrived in; the node is decoded with the full message type.
 */
function decodeSotwRequest(b: Buffer, Node: protobuf.Type, Status: protobuf.Type): DiscoveryRequest {
  const r = protobuf.Reader.create(b);
  const out: DiscoveryRequest = {};
  let namesStart = -1;
  let namesEnd = -1;
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        out.version_info = r.string();
        break;
      case 2:
        out.node = Node.toObject(Node.decode(r.bytes()), TO_OBJECT_OPTIONS) as RequestNode;
        break;
      case 3:
        if (namesStart < 0) namesStart = start;
        r.skipType(tag & 7);
        namesEnd = r.pos;
        break;
      case 4:
        out.type_url = r.string();
        break;
      case 5:
        out.response_nonce = r.string();
        break;
      case 6:
        out.error_detail = Status.toObject(Status.decode(r.bytes()), TO_OBJECT_OPTIONS) as NonNullable<DiscoveryRequest["error_detail"]>;
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  if (namesStart >= 0) out.names_raw = b.subarray(namesStart, namesEnd);
  return out;
}

export function adsServiceDefinition(): grpc.ServiceDefinition {
  const root = envoyRoot();
  const Request = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
  const Response = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
  const DeltaRequest = root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  const DeltaResponse = root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryResponse");
  const Node = root.lookupType("envoy.config.core.v3.Node");
  const Status = root.lookupType("google.rpc.Status");
  const serializer = (type: protobuf.Type) => (m: Buffer | object) => (Buffer.isBuffer(m) ? m : Buffer.from(type.encode(type.fromObject(m)).finish()));
  const frames = frameSerializer();
  const responseSerializer = (type: protobuf.Type) => (m: Buffer | Frame | object) => (!Buffer.isBuffer(m) && isFrame(m) ? frames(m) : serializer(type)(m));
  return {
    StreamAggregatedResources: {
      path: SOTW_PATH,
      requestStream: true,
      responseStream: true,
      requestSerialize: serializer(Request),
      requestDeserialize: (b: Buffer) => decodeSotwRequest(b, Node, Status),
      responseSerialize: responseSerializer(Response),
      responseDeserialize: (b: Buffer) => Response.toObject(Response.decode(b), TO_OBJECT_OPTIONS),
    },
    DeltaAggregatedResources: {
      path: DELTA_PATH,
      requestStream: true,
      responseStream: true,
      requestSerialize: serializer(DeltaRequest),
      requestDeserialize: (b: Buffer) => DeltaRequest.toObject(DeltaRequest.decode(b), { ...TO_OBJECT_OPTIONS, objects: true }) as DeltaDiscoveryRequest,
      responseSerialize: responseSerializer(DeltaResponse),
      responseDeserialize: (b: Buffer) => DeltaResponse.toObject(DeltaResponse.decode(b), TO_OBJECT_OPTIONS),
    },
  };
}
