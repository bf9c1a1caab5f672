import type { CodecFactory } from "../codec/codec.ts";
import type { Endpoint } from "../config/types.ts";
import { UpstreamClient, type UpstreamAccounting } from "./upstream-client.ts";

/**
 * The owner of a downstream connection's own upstream clients, for codecs whose
 * `upstreamAffinity` is "per-downstream". Pools register a release callback per client they
 * open for it; `release` (the downstream connection closed) runs them once.
 */
export class UpstreamAffinity {
  private readonly releases = new Set<() => void>();
  private released = false;

  get isReleased(): boolean {
    return this.released;
  }

  onRelease(release: () => void): void {
    if (this.released) release();
    else this.releases.add(release);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const r of this.releases) r();
    this.releases.clear();
  }
}

/**
 * Up to `size` multiplexed upstream clients for one endpoint, used in turn. Clients are created
 * lazily, and only while the cluster's connection limit allows; when it does not, the clients
 * already open are shared instead.
 *
 * With an UpstreamAffinity, the client is that owner's own (created on its first request here,
 * drained when the owner releases it), not one of the `size` shared ones; at the connection
 * limit the pool's existing clients, shared or owned, are shared instead.
 */
export class EndpointPool {
  private readonly clients: UpstreamClient[] = [];
  private next = 0;
  private readonly owned = new Map<UpstreamAffinity, UpstreamClient>();
  private ownedNext = 0;
  private closed = false;

  constructor(
    readonly endpoint: Endpoint,
    private readonly size: number,
    private readonly codecFactory: CodecFactory,
    private readonly accounting: UpstreamAccounting,
    private readonly connectTimeoutMs: number,
  ) {}

  /** A client to send on, or undefined when none exists and none may be opened. */
  client(affinity?: UpstreamAffinity): UpstreamClient | undefined {
    if (affinity !== undefined && !affinity.isReleased && !this.closed) return this.ownedClient(affinity);
    if (this.clients.length < Math.max(1, this.size) && this.accounting.resources.connections.canCreate()) {
      const c = new UpstreamClient(this.endpoint, this.codecFactory, this.accounting, this.connectTimeoutMs);
      this.clients.push(c);
      return c;
    }
    if (this.clients.length === 0) return this.anyOwned();
    const c = this.clients[this.next % this.clients.length]!;
    this.next = (this.next + 1) % this.clients.length;
    return c;
  }

  /** Upstream clients owned by downstream connections (per-downstream affinity). */
  get ownedClients(): number {
    return this.owned.size;
  }

  private ownedClient(affinity: UpstreamAffinity): UpstreamClient | undefined {
    const existing = this.owned.get(affinity);
    if (existing !== undefined) return existing;
    if (!this.accounting.resources.connections.canCreate()) {
      // At max_connections: share what is open rather than fail.
      if (this.clients.length > 0) {
        const c = this.clients[this.next % this.clients.length]!;
        this.next = (this.next + 1) % this.clients.length;
        return c;
      }
      return this.anyOwned();
    }
    const c = new UpstreamClient(this.endpoint, this.codecFactory, this.accounting, this.connectTimeoutMs);
    this.owned.set(affinity, c);
    affinity.onRelease(() => {
      if (this.owned.get(affinity) !== c) return;
      this.owned.delete(affinity);
      c.drain();
    });
    return c;
  }

  private anyOwned(): UpstreamClient | undefined {
    if (this.owned.size === 0) return undefined;
    const index = this.ownedNext++ % this.owned.size;
    let i = 0;
    for (const c of this.owned.values()) if (i++ === index) return c;
    return undefined;
  }

  drain(): void {
    this.closed = true;
    for (const c of this.clients) c.drain();
    for (const c of this.owned.values()) c.drain();
    this.owned.clear();
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients) c.close();
    for (const c of this.owned.values()) c.close();
    this.owned.clear();
  }
}

export function endpointKey(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}
