/**
 * The ADS wire: the method paths, request decoders (both the state-of-the-world and the
 * incremental method) and hand-written encoders for the responses. Responses are built from the
 * snapshot's already encoded Any bytes, so a resource is serialised once per version however
 * many proxies get it; a full-state body is shared by every proxy with the same view, and a
 * response goes out as that body plus a few bytes of nonce, never joined into one buffer.
 */
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

/** The nonce as DiscoveryResponse field 5 (a length-delimited string). */
export function nonceField(nonce: string): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(42).string(nonce).finish());
}

/** A frame as the parts of one message: the shared body, untouched, then this stream's nonce. */
export function frameParts(frame: Frame): Buffer[] {
  return [frame.body, nonceField(frame.nonce)];
}

/** DeltaDiscoveryResponse without its nonce (field 5, added by `frameParts`). */
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
    if (tag >>> 3 === 3 && (tag & 7) === 2) out.push(r.string());
    else r.skipType(tag & 7);
  }
  return out;
}

/**
 * The end of the run of resource_names fields starting at `pos`, skipped by hand: an ACK
 * repeats every name the proxy holds (thousands), and this is the hot loop of reading ACKs.
 */
function skipNames(b: Buffer, pos: number): number {
  while (pos < b.length && b[pos] === 26) {
    pos += 1;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[pos++];
      if (byte === undefined || shift > 28) throw new Error("truncated resource_names");
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    pos += length;
  }
  if (pos > b.length) throw new Error("truncated resource_names");
  return pos;
}

/**
 * The run of names at `start` when it is one of `known` (the names the stream's last requests
 * carried: an ACK repeats them), compared as bytes, not walked name by name; undefined otherwise.
 */
function knownNamesAt(b: Buffer, start: number, known: readonly Buffer[]): Buffer | undefined {
  for (const raw of known) {
    const end = start + raw.length;
    // The run must end there: another name after it would make it a different list.
    if (raw.length > 0 && end <= b.length && b[end] !== 26 && b.compare(raw, 0, raw.length, start, end) === 0) return raw;
  }
  return undefined;
}

/**
 * A DiscoveryRequest read field by field. resource_names (an Envoy ACK repeats thousands of
 * them) is kept as the raw bytes it arrived in — the very buffer of `known` when it is one of
 * those; the node is decoded with the full message type.
 */
function decodeSotwRequestWith(b: Buffer, Node: protobuf.Type, Status: protobuf.Type, known: readonly Buffer[]): DiscoveryRequest {
  const r = protobuf.Reader.create(b);
  const out: DiscoveryRequest = {};
  let namesStart = -1;
  let namesEnd = -1;
  let knownNames: Buffer | undefined;
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
        if (namesStart < 0) {
          namesStart = start;
          knownNames = b[start] === 26 ? knownNamesAt(b, start, known) : undefined;
          if (knownNames) {
            r.pos = namesEnd = start + knownNames.length;
            break;
          }
        }
        // The hand loop reads the usual one-byte tag; anything else (another wire type, a padded
        // tag) is skipped the general way, or it would be read again for ever.
        if (b[start] === 26 && r.pos === start + 1) r.pos = skipNames(b, start);
        else r.skipType(tag & 7);
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
  if (namesStart >= 0) out.names_raw = knownNames && namesEnd === namesStart + knownNames.length ? knownNames : b.subarray(namesStart, namesEnd);
  return out;
}

/** Request decoders for both ADS methods, built once (the message types are looked up here). */
export function requestDecoders(): { sotw: (b: Buffer, knownNames?: readonly Buffer[]) => DiscoveryRequest; delta: (b: Buffer) => DeltaDiscoveryRequest } {
  const root = envoyRoot();
  const DeltaRequest = root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  const Node = root.lookupType("envoy.config.core.v3.Node");
  const Status = root.lookupType("google.rpc.Status");
  return {
    sotw: (b, knownNames = []) => decodeSotwRequestWith(b, Node, Status, knownNames),
    delta: (b) => DeltaRequest.toObject(DeltaRequest.decode(b), { ...TO_OBJECT_OPTIONS, objects: true }) as DeltaDiscoveryRequest,
  };
}
