/**
 * gRPC messages on an HTTP/2 stream, both ways, for meshsim's server (the control plane's ADS)
 * and its clients (the proxy's ADS and rate-limit calls): the framing (a flag byte, a 4-byte
 * length, the message), a budget for messages received in part across calls, and the pool their
 * buffers come from.
 */
import type { Writable } from "node:stream";

/** A gRPC message's prefix: the compressed flag and the length. */
export const PREFIX_BYTES = 5;

/**
 * The bytes of request messages received in part, across every call. Two thousand proxies
 * connecting at once each send a first request of hundreds of kilobytes (Envoy names every
 * resource it wants), interleaved on their connections; assembling them all at once took
 * hundreds of megabytes. Past `limit`, a call that starts another large message waits (its
 * stream paused, so HTTP/2 flow control holds the sender) until messages being assembled are
 * complete. Calls in the middle of a message are never paused, so the budget always frees up.
 */
export class InboundBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; start: () => void }> = [];

  constructor(readonly limit: number) {}

  /** The most bytes ever held at once. */
  peak = 0;

  /** Takes `bytes` if they fit and nobody waits before. */
  tryTake(bytes: number): boolean {
    if (this.waiting.length > 0 || !this.fits(bytes)) return false;
    this.hold(bytes);
    return true;
  }

  /** Queues `start`, called once `bytes` are taken for it. */
  wait(bytes: number, start: () => void): void {
    this.waiting.push({ bytes, start });
  }

  give(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.hold(next.bytes);
      next.start();
    }
  }

  /** Drops a queued `start` (its call ended while waiting). */
  cancel(start: () => void): void {
    const i = this.waiting.findIndex((w) => w.start === start);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private hold(bytes: number): void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  /** One message always fits when nothing is held, however large: progress is never blocked. */
  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }
}

/**
 * Buffers for assembling request messages, reused. Every change brings an ACK from every proxy,
 * and Envoy's ACKs repeat every name they hold (tens of kilobytes each): two thousand fresh
 * buffers per change were external memory enough to set off full collections, a fifth of a
 * change's time. Sizes are powers of two from 4 KiB; at most `maxPooledBytes` wait for reuse.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooled = 0;

  constructor(private readonly maxPooledBytes: number) {}

  /** A buffer of exactly `length` bytes, to be given back with `give` once its content is no longer used. */
  take(length: number): Buffer {
    let size = 4096;
    while (size < length) size *= 2;
    const reused = this.free.get(size)?.pop();
    if (reused) this.pooled -= size;
    return (reused ?? Buffer.allocUnsafeSlow(size)).subarray(0, length);
  }

  give(buffer: Buffer): void {
    const whole = Buffer.from(buffer.buffer);
    if (this.pooled + whole.length > this.maxPooledBytes) return;
    let list = this.free.get(whole.length);
    if (!list) this.free.set(whole.length, (list = []));
    list.push(whole);
    this.pooled += whole.length;
  }
}

export interface ReadMessage {
  compressed: boolean;
  bytes: Buffer;
  /** From the pool: given back once handled. */
  pooled?: boolean;
}

/**
 * Where a reader assembles messages that span chunks: a server shares a budget and a pool across
 * its calls; without one (a client), each such message gets a fresh buffer of its own.
 */
export interface Assembly {
  budget: InboundBudget;
  pool: BufferPool;
  /** Stops and restarts the flow of chunks (the stream's pause and resume) while over budget. */
  flow: { pause(): void; resume(): void };
}

/**
 * Splits a byte stream into gRPC messages (a flag byte, a 4-byte length, the message). A message
 * inside one chunk is a view of it; one spread over chunks is copied, as it arrives, into a
 * buffer of its exact size (holding on to the chunks instead would pin HTTP/2's read buffers),
 * taken from the assembly's budget and pool when there is one.
 */
export class MessageReader {
  private readonly head = Buffer.alloc(PREFIX_BYTES);
  private headFill = 0;
  /** The message being assembled, once its length is known and it spans chunks. */
  private body: Buffer | undefined;
  private bodyFill = 0;
  /** While waiting for the budget: what starts the message once it fits. */
  private waiting: (() => void) | undefined;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly assembly?: Assembly,
  ) {}

  /** Adds `chunk` and returns the messages now complete, with their compressed flag. */
  push(chunk: Buffer): ReadMessage[] {
    const out: ReadMessage[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFill, chunk.length - pos);
        chunk.copy(this.body, this.bodyFill, pos, pos + n);
        this.bodyFill += n;
        pos += n;
        if (this.bodyFill === this.body.length) this.complete(out);
        continue;
      }
      const n = Math.min(PREFIX_BYTES - this.headFill, chunk.length - pos);
      chunk.copy(this.head, this.headFill, pos, pos + n);
      this.headFill += n;
      pos += n;
      if (this.headFill < PREFIX_BYTES) break;
      const length = this.head.readUInt32BE(1);
      if (length > this.maxMessageBytes) throw new MessageTooLarge(`a message of ${length} bytes is larger than the ${this.maxMessageBytes} bytes accepted`);
      if (chunk.length - pos >= length) {
        out.push({ compressed: this.head[0] === 1, bytes: chunk.subarray(pos, pos + length) });
        pos += length;
        this.headFill = 0;
        continue;
      }
      const assembly = this.assembly;
      if (!assembly || assembly.budget.tryTake(length)) {
        this.body = assembly ? assembly.pool.take(length) : Buffer.allocUnsafe(length);
        this.bodyFill = chunk.copy(this.body, 0, pos);
        pos = chunk.length;
        continue;
      }
      // Over budget: keep what arrived of this message (a copy: the chunk may be a view of a
      // larger read buffer) and hold the sender until the budget lets the message start.
      const early = Buffer.from(chunk.subarray(pos));
      const start = () => {
        this.waiting = undefined;
        this.body = assembly.pool.take(length);
        this.bodyFill = early.copy(this.body, 0);
        assembly.flow.resume();
      };
      this.waiting = start;
      assembly.budget.wait(length, start);
      assembly.flow.pause();
      break;
    }
    return out;
  }

  /** True between a message's first byte and its last. */
  get midMessage(): boolean {
    return this.headFill > 0 || this.body !== undefined || this.waiting !== undefined;
  }

  /** Gives back what the reader holds (its call ended). */
  close(): void {
    if (this.body && this.assembly) {
      this.assembly.budget.give(this.body.length);
      this.assembly.pool.give(this.body);
    }
    if (this.waiting) this.assembly?.budget.cancel(this.waiting);
    this.body = undefined;
    this.waiting = undefined;
    this.headFill = 0;
  }

  private complete(out: ReadMessage[]): void {
    const body = this.body!;
    this.body = undefined;
    this.headFill = 0;
    out.push({ compressed: this.head[0] === 1, bytes: body, pooled: this.assembly !== undefined });
    this.assembly?.budget.give(body.length);
  }
}

/** A message (as received, or once decompressed) over the size its reader accepts. */
export class MessageTooLarge extends Error {}

/**
 * Writes one uncompressed gRPC message made of `parts` (not joined or copied) to an HTTP/2 stream,
 * server's or client's. Corked, the prefix and the parts reach HTTP/2 as one writev. False when
 * the stream's buffer is full (wait for "drain").
 */
export function writeMessage(stream: Writable, parts: readonly Buffer[]): boolean {
  let length = 0;
  for (const p of parts) length += p.length;
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  stream.cork();
  let more = stream.write(prefix);
  for (const p of parts) if (p.length > 0) more = stream.write(p);
  stream.uncork();
  return more;
}
