import type { Socket } from "node:net";
import type { RedisListenerState } from "./listener-state.ts";
import { Pending, type ReplySink } from "./pending.ts";
import type { AccessLogSink } from "../../access-log/access-log-entry.ts";
import { localReason, RedisRequestLog } from "./request-log.ts";

/** Pause reading a client with this many replies outstanding; resume below half. */
const MAX_OUTSTANDING = 4096;

/**
 * A client's replies, in request order. Every request gets a Pending here before it is sent
 * anywhere; a reply that arrives early waits until every earlier one is written. Replies
 * written in one tick leave in one write, and adjacent views of one upstream read as one slice.
 *
 * Back-pressure: reading the client pauses with MAX_OUTSTANDING replies outstanding or when the
 * socket's buffer is full, and resumes below half of that once the socket drains.
 */
export class ReplyQueue implements ReplySink {
  private head: Pending | null = null;
  private tail: Pending | null = null;
  private outstanding = 0;
  private paused = false;
  /** The socket closed, or is closing after a QUIT or protocol error: nothing more is written. */
  closed = false;
  /** Requests still waiting on a connection pinned for them (blocking commands). */
  readonly blocked = new Set<Pending>();
  /** The listener's `enableCommandStats`, as of the client's latest read. */
  countCommands = false;
  /** The listener's access log, as of the client's latest read. */
  accessLog: AccessLogSink | undefined = undefined;
  /** The request being handled, noted only while logging: local replies do not name their command. */
  requestCommand = "";
  requestBytes = 0;

  // Reply bytes gathered for one write at the end of the tick. The segment being extended is
  // kept as offsets; a segment of one reply is written as that reply's own Buffer.
  private readonly out: Buffer[] = [];
  private outFirst: Buffer | null = null;
  private outBuffer: ArrayBuffer | null = null;
  private outStart = 0;
  private outEnd = 0;
  private flushScheduled = false;

  constructor(
    private readonly socket: Socket,
    private readonly state: RedisListenerState,
  ) {}

  /** A place in the reply order for a command (lower-case `command`, "" for local replies). */
  enqueue(command: string): Pending {
    const p = new Pending(this);
    p.command = command;
    if (this.accessLog !== undefined) p.log = new RedisRequestLog(command || this.requestCommand, this.requestBytes);
    if (this.tail === null) this.head = this.tail = p;
    else {
      this.tail.next = p;
      this.tail = p;
    }
    if (++this.outstanding >= MAX_OUTSTANDING && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    return p;
  }

  /**
   * A place in the reply order, answered at once with `reply`; `closeAfter` closes the client
   * once it is written (set before completing: a reply at the head is written right away).
   */
  enqueueLocal(reply: Buffer, closeAfter = false): Pending {
    const p = this.enqueue("");
    p.closeAfter = closeAfter;
    if (p.log !== null) p.log.localReply = localReason(reply);
    this.complete(p, reply);
    return p;
  }

  /** ReplySink: a reply is ready; write it and whatever was waiting behind it. */
  complete(p: Pending, reply: Buffer): void {
    if (p.done) return;
    p.done = true;
    this.outstanding--;
    if (p.command !== "" && this.countCommands) this.commandStat(p.command, reply);
    if (p.log !== null) p.log.write(this.accessLog!, this.state.context.config, reply);
    if (this.blocked.size > 0) this.blocked.delete(p);
    if (this.closed) return;
    if (p !== this.head) {
      p.reply = reply;
      return;
    }
    let n: Pending | null = p;
    let r: Buffer | null = reply;
    while (n?.done) {
      this.output(r ?? n.reply!);
      r = null;
      n.reply = null;
      if (n.closeAfter) {
        this.flushOut();
        this.socket.end();
        this.closed = true;
        this.head = this.tail = null;
        return;
      }
      n = n.next;
    }
    this.head = n;
    if (n === null) this.tail = null;
    if (this.paused && this.outstanding < MAX_OUTSTANDING / 2) this.maybeResume();
  }

  onRedirect(kind: "moved" | "ask" | "limit"): void {
    this.state.stats.inc(kind === "moved" ? "moved_followed" : kind === "ask" ? "ask_followed" : "redirect_limit");
  }

  /** Resumes reading the client once it reads its replies again and few are outstanding. */
  maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.outstanding >= MAX_OUTSTANDING / 2 || this.socket.writableNeedDrain) return;
    this.paused = false;
    this.socket.resume();
  }

  /** The socket closed: drop every reply still expected. */
  onClose(): void {
    this.closed = true;
    this.head = this.tail = null;
  }

  private commandStat(command: string, reply: Buffer): void {
    const s = this.state.commandStats;
    s.inc(`${command}.total`);
    if (reply[0] === 45 || reply[0] === 33) s.inc(`${command}.error`);
    else s.inc(`${command}.success`);
  }

  /** Collects reply bytes; adjacent views of one upstream read become one slice. */
  private output(reply: Buffer): void {
    if (this.outBuffer === reply.buffer && this.outEnd === reply.byteOffset) {
      this.outEnd += reply.length;
      this.outFirst = null;
    } else {
      this.sealOut();
      this.outFirst = reply;
      this.outBuffer = reply.buffer as ArrayBuffer;
      this.outStart = reply.byteOffset;
      this.outEnd = reply.byteOffset + reply.length;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One tick callback for every client with replies, not one per client.
      if (flushQueue.push(this) === 1) process.nextTick(flushAll);
    }
  }

  private sealOut(): void {
    if (this.outBuffer !== null) {
      this.out.push(this.outFirst ?? Buffer.from(this.outBuffer, this.outStart, this.outEnd - this.outStart));
      this.outFirst = null;
      this.outBuffer = null;
    }
  }

  /** Writes everything collected this tick in one call. */
  flushOut(): void {
    this.flushScheduled = false;
    if (this.out.length === 0) {
      // One segment (a lone reply at pipeline 1, or one upstream read's run): no list needed.
      if (this.outBuffer === null) return;
      const only = this.outFirst ?? Buffer.from(this.outBuffer, this.outStart, this.outEnd - this.outStart);
      this.outFirst = null;
      this.outBuffer = null;
      if (!this.socket.destroyed) this.afterWrite(this.socket.write(only));
      return;
    }
    this.sealOut();
    const out = this.out;
    if (out.length === 0) return;
    if (this.socket.destroyed) {
      out.length = 0;
      return;
    }
    let ok: boolean;
    if (out.length === 1) ok = this.socket.write(out[0]!);
    else {
      this.socket.cork();
      for (let i = 0; i < out.length - 1; i++) this.socket.write(out[i]!);
      ok = this.socket.write(out[out.length - 1]!);
      this.socket.uncork();
    }
    out.length = 0;
    this.afterWrite(ok);
  }

  private afterWrite(ok: boolean): void {
    if (!ok && !this.paused) {
      // The client is not reading its replies: stop reading its requests until it does.
      this.paused = true;
      this.socket.pause();
    }
  }
}

const flushQueue: ReplyQueue[] = [];

function flushAll(): void {
  // A queue flushed early (QUIT) and written to again is listed twice; the second flush is empty.
  try {
    for (let i = 0; i < flushQueue.length; i++) flushQueue[i]!.flushOut();
  } finally {
    flushQueue.length = 0;
  }
}
