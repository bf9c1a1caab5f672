/**
 * The listener's faults (Envoy redis_proxy's ERROR and DELAY), counted as every protocol's are:
 * `listener.<name>.fault.aborts_injected` / `.delays_injected` and `local_reply_fault_abort`.
 * Which fault fires for a command is RedisRouter.fault's choice.
 */
import type { RedisDownstream } from "./downstream.ts";
import type { Pending } from "./pending.ts";
import { errorReply } from "./resp.ts";

const FAULT_ERROR = errorReply("ERR Fault injected: error");

/** An ERROR fault fired: `pending` is answered with the fault's error instead of being sent. */
export function abortWithFault(d: RedisDownstream, pending: Pending): void {
  if (pending.log !== null) {
    pending.log.fault = "abort";
    pending.log.localReply = "fault_abort";
  }
  d.state.faults.inc("aborts_injected");
  d.countListener("local_reply_fault_abort");
  pending.deliver(FAULT_ERROR);
}

/** A DELAY fault fired: the caller holds `pending`'s command for the fault's delay. */
export function countDelay(d: RedisDownstream, pending: Pending): void {
  if (pending.log !== null) pending.log.fault = "delay";
  d.state.faults.inc("delays_injected");
}
