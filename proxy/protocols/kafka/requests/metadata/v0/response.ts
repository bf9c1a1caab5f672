/**
 * MetadataResponse v0 (through v8, non-flexible):
 *
 *   MetadataResponse => throttle_time_ms:INT32 (v3+) [brokers] cluster_id (v2+) controller_id (v1+) [topics] ...
 *     brokers => node_id:INT32 host:STRING port:INT32 rack:NULLABLE_STRING (v1+)
 *
 * Only `brokers` is read: each broker's host and port are rewritten; the rest is copied.
 */
import { Cursor } from "../../../wire.ts";
import { FrameRebuilder, type BrokerAddressMap } from "../../broker-address.ts";

export function rewriteMetadataResponse(frame: Buffer, bodyOffset: number, version: number, flexible: boolean, map: BrokerAddressMap): FrameRebuilder {
  const c = new Cursor(frame, bodyOffset);
  const rb = new FrameRebuilder(frame);
  if (version >= 3) c.int32();
  const brokers = c.arrayLength(flexible);
  for (let i = 0; i < brokers; i++) {
    c.int32();
    rb.hostPort(c, flexible, map);
    if (version >= 1) c.skipString(flexible);
    if (flexible) c.skipTaggedFields();
  }
  return rb;
}
