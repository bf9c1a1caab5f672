import type { CodecFactory } from "../codec/codec.ts";
import type { Endpoint } from "../config/types.ts";
import { UpstreamClient } from "../core/upstream-client.ts";
import type { Cluster } from "./cluster-manager.ts";

/**
 * Up to `size` multiplexed upstream clients for one endpoint, used in turn. Clients are created
 * lazily, and only while the cluster's connection limit allows; when it does not, the clients
 * already open are shared instead.
 */
export class EndpointPool {
  private readonly clients: UpstreamClient[] = [];
  private next = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly size: number,
    private readonly codecFactory: CodecFactory,
    private readonly cluster: Cluster,
    private readonly connectTimeoutMs: number,
  ) {}

  /** A client to send on, or undefined when none exists and none may be opened. */
  client(): UpstreamClient | undefined {
    if (this.clients.length < Math.max(1, this.size) && this.cluster.mayOpenConnection()) {
      const c = new UpstreamClient(this.endpoint, this.codecFactory, this.cluster, this.connectTimeoutMs);
      this.clients.push(c);
      return c;
    }
    if (this.clients.length === 0) return undefined;
    const c = this.clients[this.next % this.clients.length]!;
    this.next = (this.next + 1) % this.clients.length;
    return c;
  }

  drain(): void {
    for (const c of this.clients) c.drain();
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export function endpointKey(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}
