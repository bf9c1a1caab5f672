import { errorReply } from "./resp.ts";
import type { RedisDownstream } from "./downstream.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";

/** Commands that walk or clear the whole keyspace: answered by one server, they would be incomplete. */
const WHOLE_KEYSPACE = new Set(["keys", "scan", "dbsize", "randomkey", "flushall", "flushdb"]);

/**
 * KEYS, SCAN, FLUSHALL ...: commands without a key, forwarded only where the catch-all route
 * has exactly one server (a proxy cannot merge a keyspace walk over several). Where prefix
 * routes send keys elsewhere, the keyspace commands are refused rather than answered from the
 * catch-all's part of the keyspace alone.
 */
export function noKeyCommand(d: RedisDownstream, name: string, b: Buffer, start: number, end: number): void {
  const route = noKeyRoute(d, name);
  if (route.error !== undefined) return void d.replies.enqueueLocal(route.error);
  const upstream = route.upstream;
  const pending = d.replies.enqueue(name);
  const go = (bytes: Buffer, s: number, e: number) => {
    const node = soleServer(d, name, upstream);
    if (Buffer.isBuffer(node)) return pending.deliver(node);
    d.run.append(node.connection(d.local.protocol), bytes, s, e, pending);
  };
  const copy = () => Buffer.from(b.subarray(start, end));
  if (
    upstream.whenReady(() => {
      const c = copy();
      go(c, 0, c.length);
      d.run.flush();
    })
  )
    go(b, start, end);
}

/** The catch-all's upstream for a no-key command, or the refusal to send (counted). */
export function noKeyRoute(d: RedisDownstream, name: string): { upstream: RedisUpstreamCluster; error?: undefined } | { error: Buffer } {
  const route = d.router.catchAll;
  const upstream = route ? d.state.upstream(route.cluster) : undefined;
  if (!route || !upstream) {
    d.state.stats.inc("splitter.unsupported_command");
    return { error: errorReply(`ERR unsupported command '${name}'`) };
  }
  if (WHOLE_KEYSPACE.has(name) && d.router.splitsKeyspace()) {
    d.state.stats.inc("splitter.unsupported_command");
    return { error: errorReply(`ERR '${name}' is not supported with prefix routes: the keyspace is split across clusters`) };
  }
  return { upstream };
}

/** The one server a no-key command goes to (the topology must be known), or the refusal (counted). */
export function soleServer(d: RedisDownstream, name: string, upstream: RedisUpstreamCluster): RedisNode | Buffer {
  const node = upstream.soleMaster();
  if (node !== undefined) return node;
  d.state.stats.inc("splitter.unsupported_command");
  return errorReply(`ERR '${name}' is not supported when the route has several servers`);
}
