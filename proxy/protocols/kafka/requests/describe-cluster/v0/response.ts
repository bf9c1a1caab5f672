/**
 * DescribeClusterResponse v0 (through v2; flexible in every version):
 *
 *   DescribeClusterResponse => throttle_time_ms:INT32 error_code:INT16
 *       error_message:COMPACT_NULLABLE_STRING endpoint_type:INT8 (v1+) cluster_id:COMPACT_STRING
 *       controller_id:INT32 [brokers] cluster_authorized_operations:INT32 TAG_BUFFER
 *     brokers => broker_id:INT32 host:COMPACT_STRING port:INT32 rack:COMPACT_NULLABLE_STRING
 *                is_fenced:BOOLEAN (v2+) TAG_BUFFER
 */
import { Cursor } from "../../../wire.ts";
import { FrameRebuilder, type BrokerAddressMap } from "../../broker-address.ts";

export function rewriteDescribeClusterResponse(frame: Buffer, bodyOffset: number, version: number, _flexible: boolean, map: BrokerAddressMap): FrameRebuilder {
  const c = new Cursor(frame, bodyOffset);
  const rb = new FrameRebuilder(frame);
  c.int32();
  c.int16();
  c.skipString(true);
  if (version >= 1) c.int8();
  c.skipString(true);
  c.int32();
  const n = c.arrayLength(true);
  for (let i = 0; i < n; i++) {
    c.int32();
    rb.hostPort(c, true, map);
    c.skipString(true);
    if (version >= 2) c.int8();
    c.skipTaggedFields();
  }
  return rb;
}
