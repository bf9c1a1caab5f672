/**
 * Sending one command upstream: through the listener's faults, to the node its key maps to (a
 * pinned connection for blocking commands), then to the route's mirrors. Requests bound for a
 * single server join the client's current request run.
 */
import { errorReply } from "./resp.ts";
import type { RedisDownstream } from "./downstream.ts";
import type { Pending } from "./pending.ts";
import type { CompiledRoute } from "./router.ts";
import type { RedisUpstreamCluster } from "./upstream-cluster.ts";
import type { ReplyHandler } from "./upstream-connection.ts";

/**
 * Queues a reply slot for one command and sends it, unless a fault answers or delays it.
 * `bytes` is a rewritten command, or null to forward `b[start, end)` as received.
 */
export function sendCommand(
  d: RedisDownstream,
  name: string,
  read: boolean,
  blocking: boolean,
  route: CompiledRoute,
  upstream: RedisUpstreamCluster,
  b: Buffer,
  start: number,
  end: number,
  bytes: Buffer | null,
  keyBuffer: Buffer,
  keyStart: number,
  keyEnd: number,
): void {
  const pending = d.replies.enqueue(name);
  const log = pending.log;
  if (log !== null) log.routed(route, keyBuffer, keyStart, keyEnd);
  if (d.router.faults.length > 0) {
    const fault = d.router.fault(name);
    if (fault !== undefined) {
      if (log !== null) log.fault = fault.type === "ERROR" ? "abort" : "delay";
      if (fault.type === "ERROR") {
        if (log !== null) log.localReply = "fault_abort";
        d.state.stats.inc("fault_error_injected");
        d.countListener("local_reply_fault_abort");
        pending.deliver(errorReply("ERR Fault injected: error"));
        return;
      }
      d.state.stats.inc("fault_delay_injected");
      d.countListener("fault_delays_injected");
      // The request keeps its place in the reply order; later requests go ahead meanwhile.
      const copy = bytes ?? b.subarray(start, end);
      const key = keyBuffer === b ? b.subarray(keyStart, keyEnd) : keyBuffer.subarray(keyStart, keyEnd);
      setTimeout(() => {
        if (d.closed) return;
        dispatchCommand(d, pending, read, blocking, route, upstream, copy, 0, copy.length, copy, key, 0, key.length);
        d.run.flush();
      }, fault.delayMs);
      return;
    }
  }
  if (bytes !== null) dispatchCommand(d, pending, read, blocking, route, upstream, bytes, 0, bytes.length, bytes, keyBuffer, keyStart, keyEnd);
  else dispatchCommand(d, pending, read, blocking, route, upstream, b, start, end, null, keyBuffer, keyStart, keyEnd);
}

/**
 * Sends `b[start, end)` for `pending` to the node of its key, once the upstream knows its
 * topology. `owned` is the same bytes when they may be kept past this call (else a copy is made).
 */
export function dispatchCommand(
  d: RedisDownstream,
  pending: Pending,
  read: boolean,
  blocking: boolean,
  route: CompiledRoute,
  upstream: RedisUpstreamCluster,
  b: Buffer,
  start: number,
  end: number,
  owned: Buffer | null,
  keyBuffer: Buffer,
  keyStart: number,
  keyEnd: number,
): void {
  const single = upstream.single;
  if (pending.log !== null && pending.log.cluster === null) pending.log.routed(route, keyBuffer, keyStart, keyEnd);
  if (single !== null && !blocking && route.mirrors.length === 0) {
    // The hot path: one server, raw bytes, joined to the current run.
    if (pending.log !== null) pending.log.upstreamHost = single.key;
    d.run.append(single.connection(d.local.protocol), b, start, end, pending);
    return;
  }
  const ready = upstream.whenReady((error) => {
    if (error !== undefined) return pending.deliver(errorReply(error.startsWith("CLUSTERDOWN") ? error : `ERR ${error}`));
    const bytes = owned ?? Buffer.from(b.subarray(start, end));
    dispatchCommand(d, pending, read, blocking, route, upstream, bytes, 0, bytes.length, bytes, keyBuffer, keyStart, keyEnd);
    d.run.flush();
  });
  if (!ready) return;
  const node = upstream.target(keyBuffer, keyStart, keyEnd, read);
  if (node === undefined) {
    if (pending.log !== null) pending.log.localReply = "no_healthy_endpoint";
    d.countListener("local_reply_no_healthy_endpoint");
    pending.deliver(errorReply(upstream.error().startsWith("CLUSTERDOWN") ? upstream.error() : `ERR ${upstream.error()}`));
    return;
  }
  if (pending.log !== null) pending.log.upstreamHost = node.key;
  const follow = upstream.isClusterMode || d.router.config.enableRedirection;
  if (follow) {
    pending.bytes = owned ?? b.subarray(start, end);
    pending.upstream = upstream;
    pending.protocol = d.local.protocol;
  }
  if (blocking) {
    const connection = node.acquireDedicated(d.local.protocol);
    if (connection === undefined) {
      d.countListener("local_reply_overflow");
      pending.deliver(errorReply("ERR too many upstream connections for blocking commands"));
      return;
    }
    pending.release = { node, connection };
    d.replies.blocked.add(pending);
    connection.send(owned ?? b.subarray(start, end), pending);
  } else {
    d.run.append(node.connection(d.local.protocol), b, start, end, pending);
  }
  if (route.mirrors.length > 0 && mirrorCommand(d, route, read, owned ?? b.subarray(start, end), keyBuffer, keyStart, keyEnd) && pending.log !== null) pending.log.mirrored = true;
}

/**
 * Sends a copy of the command to each of the route's mirrors that takes it (true when any did).
 * Replies are discarded but counted, so a copy the mirror never received shows as failed, not as sent.
 */
export function mirrorCommand(d: RedisDownstream, route: CompiledRoute, read: boolean, bytes: Buffer, keyBuffer: Buffer, keyStart: number, keyEnd: number): boolean {
  let copied = false;
  for (const m of route.mirrors) {
    if (m.excludeReadCommands && read) continue;
    if (m.percentage < 100 && Math.random() * 100 >= m.percentage) continue;
    const up = d.state.upstream(m.cluster);
    if (up === undefined) continue;
    copied = true;
    d.state.stats.inc("mirror_rq_total");
    up.cluster.stats.inc("mirror_rq_total");
    const outcome = new MirrorOutcome(d.state.stats, up.cluster.stats);
    const send = (error?: string) => {
      const node = error === undefined ? up.target(keyBuffer, keyStart, keyEnd, false) : undefined;
      if (node === undefined) return outcome.onFailure();
      d.state.stats.inc("mirror_rq_sent");
      up.cluster.stats.inc("mirror_rq_sent");
      node.connection(2).send(bytes, outcome);
    };
    if (up.whenReady(send)) send();
  }
  return copied;
}

/** Counts how one mirrored command ended: any reply (completed) or none (failed). */
class MirrorOutcome implements ReplyHandler {
  constructor(
    private readonly listenerStats: RedisDownstream["state"]["stats"],
    private readonly clusterStats: RedisUpstreamCluster["cluster"]["stats"],
  ) {}

  onReply(): void {
    this.listenerStats.inc("mirror_rq_completed");
    this.clusterStats.inc("mirror_rq_completed");
  }

  onFailure(): void {
    this.listenerStats.inc("mirror_rq_failed");
    this.clusterStats.inc("mirror_rq_failed");
  }
}
