import { errorReply } from "../protocols/redis/resp.ts";
import type { RedisDownstream } from "./downstream.ts";

/**
 * KEYS, SCAN, FLUSHALL ...: commands without a key, forwarded only where the catch-all route
 * has exactly one server (a proxy cannot merge a keyspace walk over several).
 */
export function noKeyCommand(d: RedisDownstream, name: string, b: Buffer, start: number, end: number): void {
  const route = d.router.catchAll;
  const upstream = route ? d.state.upstream(route.cluster) : undefined;
  if (!route || !upstream) return d.unsupported(name);
  const pending = d.replies.enqueue(name);
  const go = (bytes: Buffer, s: number, e: number) => {
    const node = upstream.soleMaster();
    if (node === undefined) {
      d.state.stats.inc("splitter.unsupported_command");
      return pending.deliver(errorReply(`ERR '${name}' is not supported when the route has several servers`));
    }
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
