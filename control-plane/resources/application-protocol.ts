/** Aeraki ApplicationProtocol: names the codec a MetaProtocol application protocol uses. */
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const APPLICATION_PROTOCOL_API_VERSIONS = ["metaprotocol.aeraki.io/v1alpha1"] as const;

export interface ApplicationProtocolSpec {
  /** e.g. "thrift", as in the port name `tcp-metaprotocol-thrift-...`. */
  protocol: string;
  /** e.g. "aeraki.meta_protocol.codec.thrift". */
  codec: string;
}

export type ApplicationProtocol = TypedResource<"ApplicationProtocol", ApplicationProtocolSpec>;

export function parseApplicationProtocolSpec(spec: Record<string, unknown>, r: FieldReader): ApplicationProtocolSpec {
  const protocol = r.string(spec.protocol, ["spec", "protocol"], true) ?? "";
  const codec = r.string(spec.codec, ["spec", "codec"], true) ?? "";
  return { protocol, codec };
}
