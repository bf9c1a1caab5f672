/**
 * Sending one command upstream: through the listener's faults, to the node its key maps to (a
 * pinned connection for blocking commands), then to the route's mirrors. Requests bound for a
 * single server join the client's current request run.
 */
import { errorReply } from "./resp.ts";
import type { RedisDownstream } from "./downstream.ts";
import { abortWithFault, countDelay } from "./faults.ts";
import type { OutgoingCommand } from "./outgoing-command.ts";
import type { Pending } from "./pending.ts";
import type { RedisUpstreamCluster } from "./upstream-cluster.ts";
import type { ReplyHandler } from "./upstream-connection.ts";

/** Queues a reply slot for the command `c` and sends it, unless a fault answers or delays it. */
export function sendCommand(d: RedisDownstream, c: OutgoingCommand): void {
  const pending = d.replies.enqueue(c.name);
  const log = pending.log;
  if (log !== null) log.routed(c.route, c.key, c.keyStart, c.keyEnd);
  if (d.router.faults.length > 0) {
    const fault = d.router.fault(c.name);
    if (fault !== undefined) {
      if (fault.type === "ERROR") return abortWithFault(d, pending);
      countDelay(d, pending);
      // The request keeps its place in the reply order; later requests go ahead meanwhile.
      const later = c.detached(false);
      setTimeout(() => {
        if (d.closed) return;
        dispatchCommand(d, pending, later);
        d.run.flush();
      }, fault.delayMs);
      return;
    }
  }
  dispatchCommand(d, pending, c);
}

/** Sends the command `c` for `pending` to the node of its key, once the upstream knows its topology. */
export function dispatchCommand(d: RedisDownstream, pending: Pending, c: OutgoingCommand): void {
  const upstream = c.upstream;
  const route = c.route;
  const single = upstream.single;
  if (pending.log !== null && pending.log.cluster === null) pending.log.routed(route, c.key, c.keyStart, c.keyEnd);
  if (single !== null && !c.blocking && route.mirrors.length === 0) {
    // The hot path: one server, raw bytes, joined to the current run.
    if (pending.log !== null) pending.log.upstreamHost = single.key;
    d.run.append(single.connection(d.local.protocol), c.bytes, c.start, c.end, pending);
    return;
  }
  if (!upstream.isReady) {
    // The record moves on to the next command meanwhile: wait with a copy.
    const later = c.detached(true);
    upstream.whenReady((error) => dispatchWhenReady(d, pending, later, error));
    return;
  }
  const node = upstream.target(c.key, c.keyStart, c.keyEnd, c.read);
  if (node === undefined) {
    if (pending.log !== null) pending.log.localReply = "no_healthy_endpoint";
    d.countListener("local_reply_no_healthy_endpoint");
    pending.deliver(errorReply(upstream.error().startsWith("CLUSTERDOWN") ? upstream.error() : `ERR ${upstream.error()}`));
    return;
  }
  if (pending.log !== null) pending.log.upstreamHost = node.key;
  const follow = upstream.isClusterMode || d.router.config.enableRedirection;
  if (follow) {
    pending.bytes = c.view();
    pending.upstream = upstream;
    pending.protocol = d.local.protocol;
  }
  if (c.blocking) {
    const connection = node.acquireDedicated(d.local.protocol);
    if (connection === undefined) {
      d.countListener("local_reply_overflow");
      pending.deliver(errorReply("ERR too many upstream connections for blocking commands"));
      return;
    }
    pending.release = { node, connection };
    d.replies.blocked.add(pending);
    connection.send(c.view(), pending);
  } else {
    d.run.append(node.connection(d.local.protocol), c.bytes, c.start, c.end, pending);
  }
  if (route.mirrors.length > 0 && mirrorCommand(d, c, c.view()) && pending.log !== null) pending.log.mirrored = true;
}

/** The upstream learned its topology (or failed to): send `c`, which outlived the read it came in. */
function dispatchWhenReady(d: RedisDownstream, pending: Pending, c: OutgoingCommand, error: string | undefined): void {
  if (error !== undefined) return pending.deliver(errorReply(error.startsWith("CLUSTERDOWN") ? error : `ERR ${error}`));
  dispatchCommand(d, pending, c);
  d.run.flush();
}

/**
 * Sends `bytes`, a copy of the command `c`, to each of its route's mirrors that takes it (true
 * when any did). Replies are discarded but counted on the mirror's cluster, so a copy the mirror
 * never received shows as failed, not as sent.
 */
export function mirrorCommand(d: RedisDownstream, c: OutgoingCommand, bytes: Buffer): boolean {
  let copied = false;
  for (const m of c.route.mirrors) {
    if (m.excludeReadCommands && c.read) continue;
    if (m.percentage < 100 && Math.random() * 100 >= m.percentage) continue;
    const up = d.state.upstream(m.cluster);
    if (up === undefined) continue;
    copied = true;
    const stats = up.cluster.stats;
    stats.inc("mirror_rq_total");
    const outcome = new MirrorOutcome(stats);
    // The record moves on to the next command: keep this one's key.
    const key = c.key;
    const keyStart = c.keyStart;
    const keyEnd = c.keyEnd;
    const send = (error?: string) => {
      const node = error === undefined ? up.target(key, keyStart, keyEnd, false) : undefined;
      if (node === undefined) return outcome.onFailure();
      stats.inc("mirror_rq_sent");
      node.connection(2).send(bytes, outcome);
    };
    if (up.whenReady(send)) send();
  }
  return copied;
}

/** Counts how one mirrored command ended: any reply (completed) or none (failed). */
class MirrorOutcome implements ReplyHandler {
  constructor(private readonly clusterStats: RedisUpstreamCluster["cluster"]["stats"]) {}

  onReply(): void {
    this.clusterStats.inc("mirror_rq_completed");
  }

  onFailure(): void {
    this.clusterStats.inc("mirror_rq_failed");
  }
}
