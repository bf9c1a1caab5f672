import { connect, type Socket } from "node:net";
import type { Endpoint } from "../../config/types.ts";
import { encodeCommand, MALFORMED, NEED_MORE, replyEnd } from "./resp.ts";

/** Receives the reply to one command sent upstream. */
export interface ReplyHandler {
  /** `reply` is a view into the upstream read buffer (never reused by Node, so it may be kept). */
  onReply(reply: Buffer): void;
  /** The command got no reply: connection refused or lost, timed out. `message` has no code prefix. */
  onFailure(message: string): void;
}

/** What one connection needs from its owner: limits, handshake and counters. */
export interface UpstreamConnectionOwner {
  readonly connectTimeoutMs: number;
  /** 0: none. Replies are in order, so a late head means the whole connection is stuck. */
  readonly opTimeoutMs: number;
  readonly maxBufferSizeBeforeFlush: number;
  readonly bufferFlushTimeoutMs: number;
  readonly auth: { username?: string; password: string } | undefined;
  onConnectionEvent(event: "open" | "connected" | "connect_fail" | "closed_remote" | "closed" | "timeout" | "auth_fail", endpoint: Endpoint): void;
  /** `n` commands were sent. */
  onRequests(n: number): void;
}

const flushQueue: RedisUpstreamConnection[] = [];

function flushAll(): void {
  // A flush never queues another connection, so the list can be walked as is.
  for (let i = 0; i < flushQueue.length; i++) flushQueue[i]!.flushBatch();
  flushQueue.length = 0;
}

/** A reply handler that ignores the reply (handshake steps, mirrors). */
export const IGNORE_REPLY: ReplyHandler = { onReply() {}, onFailure() {} };

/**
 * A handler that stays silent on success and reports an error reply once: AUTH during the
 * handshake.
 */
class HandshakeStep implements ReplyHandler {
  constructor(private readonly onError: (message: string) => void) {}
  onReply(reply: Buffer): void {
    if (reply[0] === 45 /* - */) this.onError(reply.toString("utf8", 1, reply.length - 2));
  }
  onFailure(): void {}
}

/**
 * One upstream socket carrying pipelined commands from any number of clients; replies come
 * back in the order commands were written, so handlers wait in a FIFO.
 *
 * States: idle (no socket) → connecting (writes queue) → connected → idle again when the socket
 * closes, failing every command still waiting. The next command reconnects. A new socket
 * first sends the handshake (AUTH, HELLO 3, READONLY) so that it is ahead of everything else.
 */
export class RedisUpstreamConnection {
  private socket: Socket | null = null;
  private connected = false;
  private handlers: ReplyHandler[] = [];
  private sentAt: number[] = [];
  private head = 0;
  private queued: Buffer[] = [];
  private leftover: Buffer | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private opTimer: NodeJS.Timeout | null = null;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchTimer: NodeJS.Timeout | null = null;
  private flushQueued = false;
  private closing = false;
  /** Set by the owner: pinned (MULTI, WATCH, blocking) connections are lent to one client at a time. */
  dedicated = false;
  /** Last time a connect failed (ms since epoch), for the owner's read policies. */
  lastFailureAt = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly owner: UpstreamConnectionOwner,
    /** RESP protocol version this connection speaks (HELLO 3 when 3). */
    readonly protocol: 2 | 3,
    /** Cluster replicas: READONLY so that reads are served there. */
    private readonly readOnly: boolean,
  ) {}

  get pending(): number {
    return this.handlers.length - this.head;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get isIdle(): boolean {
    return this.pending === 0;
  }

  /** Writes one command; its reply goes to `handler`. */
  send(bytes: Buffer, handler: ReplyHandler): void {
    if (this.socket === null) this.open();
    this.handlers.push(handler);
    this.sentAt.push(0); // stamped lazily by the timeout check
    this.owner.onRequests(1);
    this.write(bytes);
  }

  /** Writes several pipelined commands at once (adjacent in the client's input); replies go to `handlers` in order. */
  sendRun(bytes: Buffer, handlers: ReadonlyArray<ReplyHandler>): void {
    if (this.socket === null) this.open();
    for (let i = 0; i < handlers.length; i++) {
      this.handlers.push(handlers[i]!);
      this.sentAt.push(0);
    }
    this.owner.onRequests(handlers.length);
    this.write(bytes);
  }

  close(): void {
    this.closing = true;
    this.socket?.destroy();
  }

  private write(bytes: Buffer): void {
    if (!this.connected) {
      this.queued.push(bytes);
      return;
    }
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    const max = this.owner.maxBufferSizeBeforeFlush;
    if (max <= 0) {
      // Everything written while the event loop handles this round of reads (from any number of
      // clients) leaves in one write, after the round: setImmediate runs after the poll phase,
      // where process.nextTick would run after each single read.
      if (!this.flushQueued) {
        this.flushQueued = true;
        flushQueue.push(this);
        if (flushQueue.length === 1) setImmediate(flushAll);
      }
      return;
    }
    if (this.batchBytes >= max) this.flushBatch();
    else if (this.batchTimer === null) this.batchTimer = setTimeout(() => this.flushBatch(), Math.max(0, this.owner.bufferFlushTimeoutMs));
  }

  /** Writes the gathered commands: one buffer, so one write(2) without a writev array. */
  flushBatch(): void {
    this.flushQueued = false;
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const batch = this.batch;
    if (batch.length === 0 || this.socket === null) return;
    this.batch = [];
    const size = this.batchBytes;
    this.batchBytes = 0;
    const socket = this.socket;
    if (batch.length === 1) socket.write(batch[0]!);
    else if (size <= 256 * 1024) socket.write(Buffer.concat(batch, size));
    else {
      socket.cork();
      for (const b of batch) socket.write(b);
      socket.uncork();
    }
  }

  private open(): void {
    this.owner.onConnectionEvent("open", this.endpoint);
    const socket = connect({ host: this.endpoint.host, port: this.endpoint.port, noDelay: true });
    this.socket = socket;
    this.closing = false;
    this.connectTimer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.owner.connectTimeoutMs} ms`)), this.owner.connectTimeoutMs);
    const handshakeError = (message: string) => {
      this.owner.onConnectionEvent("auth_fail", this.endpoint);
      process.emitWarning(`redis upstream ${this.endpoint.host}:${this.endpoint.port}: handshake failed: ${message}`);
    };
    const auth = this.owner.auth;
    // The handshake goes first in the FIFO: nothing else has been queued on a new socket yet.
    if (auth) {
      this.handlers.push(new HandshakeStep(handshakeError));
      this.sentAt.push(0);
      this.queued.push(encodeCommand(auth.username ? ["AUTH", auth.username, auth.password] : ["AUTH", auth.password]));
    }
    if (this.protocol === 3) {
      this.handlers.push(new HandshakeStep(handshakeError));
      this.sentAt.push(0);
      this.queued.push(encodeCommand(["HELLO", "3"]));
    }
    if (this.readOnly) {
      this.handlers.push(IGNORE_REPLY);
      this.sentAt.push(0);
      this.queued.push(encodeCommand(["READONLY"]));
    }
    if (this.owner.opTimeoutMs > 0 && !this.dedicated) {
      const period = Math.max(5, Math.min(1000, Math.floor(this.owner.opTimeoutMs / 4)));
      this.opTimer = setInterval(() => this.checkTimeout(socket), period);
      this.opTimer.unref();
    }
    socket.on("connect", () => {
      clearTimeout(this.connectTimer!);
      this.connected = true;
      this.owner.onConnectionEvent("connected", this.endpoint);
      const queued = this.queued;
      this.queued = [];
      for (const b of queued) this.write(b);
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onClose(socket));
  }

  private onData(chunk: Buffer): void {
    const input = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = null;
    const length = input.length;
    let offset = 0;
    while (offset < length) {
      const end = replyEnd(input, offset, length);
      if (end === NEED_MORE) break;
      if (end === MALFORMED) {
        this.failAll("upstream protocol error");
        this.socket?.destroy();
        return;
      }
      const handler = this.shift();
      if (handler === undefined) {
        // A reply nobody asked for: the stream is out of step.
        this.failAll("upstream sent an unexpected reply");
        this.socket?.destroy();
        return;
      }
      handler.onReply(input.subarray(offset, end));
      offset = end;
    }
    if (offset < length) this.leftover = offset === 0 ? input : input.subarray(offset);
  }

  private shift(): ReplyHandler | undefined {
    if (this.head >= this.handlers.length) return undefined;
    const h = this.handlers[this.head]!;
    this.head++;
    if (this.head === this.handlers.length) {
      this.handlers.length = 0;
      this.sentAt.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.handlers.length) {
      this.handlers = this.handlers.slice(this.head);
      this.sentAt = this.sentAt.slice(this.head);
      this.head = 0;
    }
    return h;
  }

  private checkTimeout(socket: Socket): void {
    if (this.socket !== socket || this.head >= this.handlers.length) return;
    const now = Date.now();
    // Stamp commands sent before the timer saw them; compare the oldest one.
    for (let i = this.head; i < this.sentAt.length; i++) if (this.sentAt[i] === 0) this.sentAt[i] = now;
    if (now - this.sentAt[this.head]! < this.owner.opTimeoutMs) return;
    this.owner.onConnectionEvent("timeout", this.endpoint);
    this.failAll(`upstream timeout after ${this.owner.opTimeoutMs} ms`);
    socket.destroy();
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    clearTimeout(this.connectTimer!);
    if (this.opTimer !== null) clearInterval(this.opTimer);
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.opTimer = null;
    this.batchTimer = null;
    this.batch = [];
    this.batchBytes = 0;
    const wasConnected = this.connected;
    this.socket = null;
    this.connected = false;
    this.leftover = null;
    this.queued = [];
    if (!wasConnected) {
      this.lastFailureAt = Date.now();
      this.owner.onConnectionEvent("connect_fail", this.endpoint);
      this.failAll(`cannot connect to ${this.endpoint.host}:${this.endpoint.port}`);
    } else {
      this.owner.onConnectionEvent(this.closing ? "closed" : "closed_remote", this.endpoint);
      if (!this.closing) this.lastFailureAt = Date.now();
      this.failAll("upstream connection closed");
    }
  }

  private failAll(message: string): void {
    const waiting = this.handlers.slice(this.head);
    this.handlers = [];
    this.sentAt = [];
    this.head = 0;
    for (const h of waiting) h.onFailure(message);
  }
}
