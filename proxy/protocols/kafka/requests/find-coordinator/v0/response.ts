/**
 * FindCoordinatorResponse v0 (v1, v2 add throttle_time_ms and error_message first):
 *
 *   FindCoordinatorResponse v0 => error_code:INT16 node_id:INT32 host:STRING port:INT32
 *   FindCoordinatorResponse v1 => throttle_time_ms:INT32 error_code:INT16
 *                                 error_message:NULLABLE_STRING node_id:INT32 host:STRING port:INT32
 */
import { Cursor } from "../../../wire.ts";
import { FrameRebuilder, type BrokerAddressMap } from "../../broker-address.ts";

export function rewriteFindCoordinatorResponse(frame: Buffer, bodyOffset: number, version: number, flexible: boolean, map: BrokerAddressMap): FrameRebuilder {
  const c = new Cursor(frame, bodyOffset);
  const rb = new FrameRebuilder(frame);
  if (version >= 1) c.int32();
  const error = c.int16();
  if (version >= 1) c.skipString(flexible);
  c.int32();
  if (error === 0) rb.hostPort(c, flexible, map);
  return rb;
}
