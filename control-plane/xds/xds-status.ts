/**
 * What each proxy was sent and what it accepted, per resource type: the basis of "is the
 * configuration in force everywhere?" and of NACK diagnostics.
 */
import { shortTypeName } from "../../common/envoy-protos.ts";

export interface TypeStatus {
  sentVersion?: string;
  ackedVersion?: string;
  /** Present while the latest response of this type was rejected. */
  nack?: { version: string; reason: string };
}

export interface ProxyStatus {
  id: string;
  connected: boolean;
  /** Keyed by message name: `Cluster`, `ClusterLoadAssignment`, `Listener`, `RouteConfiguration`. */
  types: Record<string, TypeStatus>;
}

export interface XdsStatus {
  version: string;
  proxies: ProxyStatus[];
}

export class XdsStatusTracker {
  private readonly proxies = new Map<string, { streams: number; types: Map<string, TypeStatus> }>();

  connected(id: string): void {
    const p = this.proxies.get(id);
    if (p) p.streams += 1;
    else this.proxies.set(id, { streams: 1, types: new Map() });
  }

  disconnected(id: string): void {
    const p = this.proxies.get(id);
    if (p) p.streams = Math.max(0, p.streams - 1);
  }

  sent(id: string, typeUrl: string, version: string): void {
    this.type(id, typeUrl).sentVersion = version;
  }

  acked(id: string, typeUrl: string, version: string): void {
    const t = this.type(id, typeUrl);
    t.ackedVersion = version;
    delete t.nack;
  }

  nacked(id: string, typeUrl: string, version: string, reason: string): void {
    this.type(id, typeUrl).nack = { version, reason };
  }

  status(version: string): XdsStatus {
    return {
      version,
      proxies: [...this.proxies.entries()].map(([id, p]) => ({
        id,
        connected: p.streams > 0,
        types: Object.fromEntries([...p.types.entries()].map(([k, v]) => [k, { ...v }])),
      })),
    };
  }

  /** Every connected proxy has acked `version` for every type it subscribed to (true with no proxies). */
  allAcked(version: string): boolean {
    return allAcked(this.status(version), version);
  }

  private type(id: string, typeUrl: string): TypeStatus {
    let p = this.proxies.get(id);
    if (!p) {
      p = { streams: 0, types: new Map() };
      this.proxies.set(id, p);
    }
    const key = shortTypeName(typeUrl);
    let t = p.types.get(key);
    if (!t) {
      t = {};
      p.types.set(key, t);
    }
    return t;
  }
}

export function allAcked(status: XdsStatus, version: string = status.version): boolean {
  return status.proxies.every((p) => !p.connected || Object.values(p.types).every((t) => t.ackedVersion === version));
}
