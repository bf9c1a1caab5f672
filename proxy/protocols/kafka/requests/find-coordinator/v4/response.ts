/**
 * FindCoordinatorResponse v4 (through v6): one coordinator per requested key (batched lookups).
 *
 *   FindCoordinatorResponse => throttle_time_ms:INT32 [coordinators] TAG_BUFFER
 *     coordinators => key:COMPACT_STRING node_id:INT32 host:COMPACT_STRING port:INT32
 *                     error_code:INT16 error_message:COMPACT_NULLABLE_STRING TAG_BUFFER
 */
import { Cursor } from "../../../wire.ts";
import { FrameRebuilder, type BrokerAddressMap } from "../../broker-address.ts";

export function rewriteFindCoordinatorResponseV4(frame: Buffer, bodyOffset: number, _version: number, _flexible: boolean, map: BrokerAddressMap): FrameRebuilder {
  const c = new Cursor(frame, bodyOffset);
  const rb = new FrameRebuilder(frame);
  c.int32();
  const n = c.arrayLength(true);
  for (let i = 0; i < n; i++) {
    c.skipString(true);
    c.int32();
    rb.hostPort(c, true, map);
    c.int16();
    c.skipString(true);
    c.skipTaggedFields();
  }
  return rb;
}
