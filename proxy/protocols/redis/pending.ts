import { errorReply, parseIntAt } from "./resp.ts";
import type { RedisRequestLog } from "./request-log.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";
import type { RedisUpstreamConnection, ReplyHandler } from "./upstream-connection.ts";

const MAX_REDIRECTS = 5;
const ASKING = Buffer.from("*1\r\n$6\r\nASKING\r\n");

/** Where a finished reply goes: the downstream connection's ordered reply queue. */
export interface ReplySink {
  complete(p: Pending, reply: Buffer): void;
  /** Counts a followed redirect ("moved" / "ask") or one given up on ("limit"). */
  onRedirect(kind: "moved" | "ask" | "limit"): void;
}

/**
 * A command sent upstream whose reply may be a cluster redirect. `-MOVED <slot> <host>:<port>`
 * updates the slot map and sends the command again there; `-ASK` sends it once, after ASKING,
 * to the node named. Both end after MAX_REDIRECTS hops.
 */
export abstract class Redirectable implements ReplyHandler {
  /** The exact bytes sent (kept only where redirects can happen). */
  bytes: Buffer | null = null;
  upstream: RedisUpstreamCluster | null = null;
  redirects = 0;
  /** RESP version of the connection the command was first sent on. */
  protocol: 2 | 3 = 2;

  abstract deliver(reply: Buffer): void;
  abstract sink(): ReplySink;

  onReply(reply: Buffer): void {
    if (reply[0] === 45 /* - */ && this.bytes !== null && this.upstream !== null && reply.length > 6) {
      const m = reply[1];
      if ((m === 77 /* M */ && reply[2] === 79 && reply[3] === 86 && reply[4] === 69 && reply[5] === 68) || (m === 65 /* A */ && reply[2] === 83 && reply[3] === 75)) {
        if (this.redirect(reply)) return;
      }
    }
    this.deliver(reply);
  }

  onFailure(message: string): void {
    this.deliver(errorReply(`ERR ${message}`));
  }

  private redirect(reply: Buffer): boolean {
    // -MOVED 3999 127.0.0.1:6381\r\n  |  -ASK 3999 127.0.0.1:6381\r\n
    const text = reply.toString("latin1", 1, reply.length - 2);
    const parts = text.split(" ");
    if (parts.length !== 3 || (parts[0] !== "MOVED" && parts[0] !== "ASK")) return false;
    const colon = parts[2]!.lastIndexOf(":");
    const host = parts[2]!.slice(0, colon);
    const port = Number(parts[2]!.slice(colon + 1));
    const slot = parseIntAt(Buffer.from(parts[1]!), 0, parts[1]!.length);
    if (!host || !Number.isInteger(port) || Number.isNaN(slot)) return false;
    if (++this.redirects > MAX_REDIRECTS) {
      this.sink().onRedirect("limit");
      return false;
    }
    const up = this.upstream!;
    let node: RedisNode;
    let connection: RedisUpstreamConnection;
    if (parts[0] === "MOVED") {
      node = up.moved(slot, host, port);
      connection = node.connection(this.protocol);
      this.sink().onRedirect("moved");
    } else {
      node = up.askTarget(host, port);
      connection = node.connection(this.protocol);
      connection.send(ASKING, IGNORE);
      this.sink().onRedirect("ask");
    }
    connection.send(this.bytes!, this);
    return true;
  }
}

const IGNORE: ReplyHandler = { onReply() {}, onFailure() {} };

/**
 * One command's place in a client's reply order. Replies are written strictly in request order:
 * a reply for a later command waits here until every earlier one is written.
 */
export class Pending extends Redirectable {
  next: Pending | null = null;
  reply: Buffer | null = null;
  done = false;
  /** Lower-case command name, for command stats. */
  command = "";
  /** Close the client connection once this reply is written (QUIT, protocol errors). */
  closeAfter = false;
  /** A pinned connection to give back when the reply arrives (blocking commands). */
  release: { node: RedisNode; connection: RedisUpstreamConnection } | null = null;
  /** Rewrites the reply before it is queued (EXEC after a refused command). */
  transform: ((reply: Buffer) => Buffer) | null = null;
  /** Set while the listener keeps an access log. */
  log: RedisRequestLog | null = null;

  constructor(private readonly owner: ReplySink) {
    super();
  }

  sink(): ReplySink {
    return this.owner;
  }

  override onFailure(message: string): void {
    if (this.log !== null) this.log.localReply = "upstream_failure";
    super.onFailure(message);
  }

  deliver(reply: Buffer): void {
    if (this.release !== null) {
      const r = this.release;
      this.release = null;
      // A failure reply means the connection is gone or stuck: do not reuse it.
      r.node.releaseDedicated(r.connection, !r.connection.isConnected);
    }
    this.owner.complete(this, this.transform === null ? reply : this.transform(reply));
  }
}
