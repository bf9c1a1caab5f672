import type { CompiledRoute } from "./router.ts";
import type { RedisUpstreamCluster } from "./upstream-cluster.ts";

const EMPTY = Buffer.alloc(0);

/**
 * The command on its way upstream: what to send (`bytes[start, end)`), where (route, upstream and
 * the key that picks the server) and how (read, blocking). Each client connection has one, reset
 * for every command, so the hot path passes one object instead of a dozen arguments and
 * allocates nothing for it. A send that has to wait (a fault delay, an upstream still learning
 * its topology) takes a `detached()` copy, as the connection's record moves on to the next command.
 */
export class OutgoingCommand {
  /** Lower-case command name. */
  name = "";
  read = false;
  blocking = false;
  route!: CompiledRoute;
  upstream!: RedisUpstreamCluster;
  bytes: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** `bytes` may be kept past this call as is: a rewritten command or a copy. */
  owned = false;
  key: Buffer = EMPTY;
  keyStart = 0;
  keyEnd = 0;

  /** Starts the next command: `bytes[start, end)` as the client sent it, to be sent to `route`'s `upstream`. */
  reset(name: string, read: boolean, blocking: boolean, route: CompiledRoute, upstream: RedisUpstreamCluster): this {
    this.name = name;
    this.read = read;
    this.blocking = blocking;
    this.route = route;
    this.upstream = upstream;
    this.owned = false;
    return this;
  }

  /** The bytes as received, `b[start, end)`. */
  received(b: Buffer, start: number, end: number): this {
    this.bytes = b;
    this.start = start;
    this.end = end;
    this.owned = false;
    return this;
  }

  /** A command the proxy rewrote (a prefix removed): sent instead of what was received. */
  rewritten(bytes: Buffer): this {
    this.bytes = bytes;
    this.start = 0;
    this.end = bytes.length;
    this.owned = true;
    return this;
  }

  /** The key that picks the server, `b[start, end)` (without a removed prefix). */
  keyAt(b: Buffer, start: number, end: number): this {
    this.key = b;
    this.keyStart = start;
    this.keyEnd = end;
    return this;
  }

  /** The bytes to send as one Buffer (a view while not owned). */
  view(): Buffer {
    return this.owned ? this.bytes : this.bytes.subarray(this.start, this.end);
  }

  /**
   * A copy of this record for a send that happens later. `copyBytes` copies bytes that are not
   * owned; else they stay a view of the client's read, as the key always does.
   */
  detached(copyBytes: boolean): OutgoingCommand {
    const c = new OutgoingCommand().reset(this.name, this.read, this.blocking, this.route, this.upstream);
    if (this.owned) c.rewritten(this.bytes);
    else if (copyBytes) c.rewritten(Buffer.from(this.bytes.subarray(this.start, this.end)));
    else c.rewritten(this.bytes.subarray(this.start, this.end));
    c.keyAt(this.key.subarray(this.keyStart, this.keyEnd), 0, this.keyEnd - this.keyStart);
    return c;
  }
}
