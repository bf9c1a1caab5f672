/**
 * What the state-of-the-world and the delta stream share: the proxy's identity, its
 * subscriptions per type, nonces, ACK/NACK bookkeeping in the status tracker, and flow control.
 * A proxy that stops reading (its socket backs up) is not written to until it drains, and then
 * gets only the latest state: it never holds up the pushes to other proxies, and memory does
 * not grow with the versions it missed.
 *
 * Large responses (a proxy's first full configuration) go through a shared gate: at most
 * `maxInflight` of them are unacknowledged at once, so two thousand proxies connecting together
 * do not buffer two thousand copies of the configuration. A permit is returned on the proxy's
 * ACK or NACK, when the stream ends, or after `permitTimeoutMs` (a proxy that never answers
 * cannot starve the others).
 */
import { TYPE_ORDER, type Snapshot, type SnapshotCache, type TypeUrl } from "./snapshot-cache.ts";
import type { Subscription } from "./subscription.ts";
import { frameParts, nodeNamespace, type Frame, type RequestNode } from "./wire.ts";
import type { XdsStatusTracker } from "./xds-status.ts";

export class PushGate {
  private inflight = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly maxInflight = 16,
    readonly largeBytes = 64 * 1024,
    readonly permitTimeoutMs = 30_000,
  ) {}

  /** Runs `fn` now or when a permit frees up; the returned function gives the permit back (once). */
  acquire(fn: (release: () => void) => void): void {
    const start = () => {
      this.inflight += 1;
      let released = false;
      const timer = setTimeout(() => release(), this.permitTimeoutMs);
      timer.unref();
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(timer);
        this.inflight -= 1;
        const next = this.queue.shift();
        if (next) next();
      };
      fn(release);
    };
    if (this.inflight < this.maxInflight) start();
    else this.queue.push(start);
  }
}

export abstract class AdsStream<Req> {
  protected nodeId: string | undefined;
  protected namespace: string | undefined;
  protected readonly subs = new Map<TypeUrl, Subscription>();
  private nonce = 0;
  private congested = false;
  private dirty = false;
  private ended = false;
  /** Writes waiting behind a large response that waits for the gate, in order. */
  private outbox: Frame[] | undefined;
  /** Nonce → permit, for large responses not yet answered. */
  private readonly permits = new Map<string, () => void>();

  constructor(
    /** Sends one response as its parts; false when the proxy is behind (then `drained` follows). */
    private readonly writeParts: (parts: readonly Buffer[]) => boolean,
    protected cache: SnapshotCache,
    protected readonly tracker: XdsStatusTracker,
    private readonly anonymousId: string,
    private readonly gate: PushGate,
    /** Picks the cache for the node of the first request (Envoy and meshsim get different ones). */
    private readonly cacheFor?: (node: RequestNode | undefined) => SnapshotCache,
  ) {}

  abstract onRequest(req: Req): void;

  /** The proxy has read what was waiting: catch up with the snapshots it missed meanwhile. */
  drained(): void {
    this.congested = false;
    if (this.dirty) {
      this.dirty = false;
      this.pushAll();
    }
  }

  /** Brings every subscribed type up to the current snapshot, in dependency order. */
  pushAll(): void {
    if (this.nodeId === undefined) return;
    if (this.congested) {
      this.dirty = true;
      return;
    }
    const snapshot = this.cache.current();
    for (const typeUrl of TYPE_ORDER) {
      const sub = this.subs.get(typeUrl);
      if (sub) this.push(sub, snapshot);
    }
  }

  closed(): void {
    this.ended = true;
    this.outbox = undefined;
    for (const release of this.permits.values()) release();
    this.permits.clear();
    if (this.nodeId !== undefined) this.tracker.disconnected(this.nodeId);
  }

  /** Sends what `sub` lacks from `snapshot`, or records that it already has it. */
  protected abstract push(sub: Subscription, snapshot: Snapshot): void;

  protected identify(node: RequestNode | undefined): void {
    if (this.nodeId !== undefined) return;
    this.nodeId = node?.id || this.anonymousId;
    this.namespace = nodeNamespace(node);
    if (this.cacheFor) this.cache = this.cacheFor(node);
    this.tracker.connected(this.nodeId);
  }

  protected nextNonce(): string {
    this.nonce += 1;
    return String(this.nonce);
  }

  /** Writes a response for `sub` standing for `snapshot`. */
  protected send(sub: Subscription, snapshot: Snapshot, nonce: string, frame: Frame): void {
    sub.lastNonce = nonce;
    sub.wireVersion = snapshot.version;
    sub.ackAs = snapshot.version;
    sub.pendingAck = true;
    this.tracker.sent(this.nodeId!, sub.typeUrl, snapshot.version);
    if (this.outbox) {
      this.outbox.push(frame);
      return;
    }
    if (frame.body.length < this.gate.largeBytes) {
      this.write(frame);
      return;
    }
    this.outbox = [frame];
    this.gate.acquire((release) => {
      if (this.ended) return release();
      this.permits.set(nonce, release);
      const pending = this.outbox ?? [];
      this.outbox = undefined;
      for (const b of pending) this.write(b);
    });
  }

  private write(frame: Frame): void {
    if (!this.writeParts(frameParts(frame))) this.congested = true;
  }

  /** Nothing to send: the proxy's configuration of this type is identical to `snapshot`'s. */
  protected carry(sub: Subscription, snapshot: Snapshot): void {
    sub.ackAs = snapshot.version;
    this.tracker.sent(this.nodeId!, sub.typeUrl, snapshot.version);
    if (!sub.pendingAck && !sub.nacked) this.tracker.acked(this.nodeId!, sub.typeUrl, snapshot.version);
  }

  /** Handles the nonce a request echoes; false when it is stale (an older response's). */
  protected answer(sub: Subscription, nonce: string, error: { message?: string } | undefined): boolean {
    const permit = this.permits.get(nonce);
    if (permit) {
      this.permits.delete(nonce);
      permit();
    }
    if (nonce !== sub.lastNonce) return false;
    sub.pendingAck = false;
    if (error) {
      sub.nacked = true;
      this.tracker.nacked(this.nodeId!, sub.typeUrl, sub.wireVersion ?? "", error.message ?? "");
    } else {
      sub.nacked = false;
      this.tracker.acked(this.nodeId!, sub.typeUrl, sub.ackAs ?? "");
    }
    return true;
  }
}
