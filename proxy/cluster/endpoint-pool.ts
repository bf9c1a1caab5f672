import type { CodecFactory } from "../codec/codec.ts";
import type { Endpoint } from "../config/types.ts";
import { UpstreamClient } from "../core/upstream-client.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";

/** A fixed number of multiplexed upstream clients for one endpoint, used in turn. */
export class EndpointPool {
  private readonly clients: UpstreamClient[] = [];
  private next = 0;

  constructor(
    readonly endpoint: Endpoint,
    size: number,
    codecFactory: CodecFactory,
    stats: StatScope<ClusterStat>,
    connectTimeoutMs: number,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) {
      this.clients.push(new UpstreamClient(endpoint, codecFactory, stats, connectTimeoutMs));
    }
  }

  client(): UpstreamClient {
    const c = this.clients[this.next]!;
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
