import type { LbPolicy } from "../config/types.ts";
import { murmur3 } from "./hash.ts";

/** What a load balancer needs to know of an endpoint. */
export interface LbEndpoint {
  readonly key: string;
  activeRequests: number;
}

/**
 * Chooses an endpoint for one request. `usable` says whether an endpoint may take traffic now
 * (not ejected by outlier detection); balancers skip the unusable ones.
 */
export interface LoadBalancer<E extends LbEndpoint> {
  choose(hashKey: string | undefined, usable: (e: E) => boolean): E | undefined;
}

export function createLoadBalancer<E extends LbEndpoint>(policy: LbPolicy, endpoints: ReadonlyArray<E>): LoadBalancer<E> {
  switch (policy) {
    case "round_robin":
      return new RoundRobin(endpoints);
    case "random":
      return new RandomChoice(endpoints);
    case "least_request":
      return new LeastRequest(endpoints);
    case "ring_hash":
      return new HashBalancer(endpoints, new RingHash(endpoints.map((e) => e.key)));
    case "maglev":
      return new HashBalancer(endpoints, new MaglevTable(endpoints.map((e) => e.key)));
  }
}

class RoundRobin<E extends LbEndpoint> implements LoadBalancer<E> {
  private next = 0;
  constructor(private readonly endpoints: ReadonlyArray<E>) {}
  choose(_key: string | undefined, usable: (e: E) => boolean): E | undefined {
    const n = this.endpoints.length;
    for (let tries = 0; tries < n; tries++) {
      const e = this.endpoints[this.next]!;
      this.next = this.next + 1 >= n ? 0 : this.next + 1;
      if (usable(e)) return e;
    }
    return undefined;
  }
}

class RandomChoice<E extends LbEndpoint> implements LoadBalancer<E> {
  constructor(private readonly endpoints: ReadonlyArray<E>) {}
  choose(_key: string | undefined, usable: (e: E) => boolean): E | undefined {
    return pickRandomUsable(this.endpoints, usable);
  }
}

/** Envoy's default for least request: the better of two random choices (power of two choices). */
class LeastRequest<E extends LbEndpoint> implements LoadBalancer<E> {
  constructor(private readonly endpoints: ReadonlyArray<E>) {}
  choose(_key: string | undefined, usable: (e: E) => boolean): E | undefined {
    const a = pickRandomUsable(this.endpoints, usable);
    const b = pickRandomUsable(this.endpoints, usable);
    if (!a || !b) return a ?? b;
    return b.activeRequests < a.activeRequests ? b : a;
  }
}

function pickRandomUsable<E>(endpoints: ReadonlyArray<E>, usable: (e: E) => boolean): E | undefined {
  const n = endpoints.length;
  if (n === 0) return undefined;
  const start = Math.floor(Math.random() * n);
  for (let i = 0; i < n; i++) {
    const e = endpoints[(start + i) % n]!;
    if (usable(e)) return e;
  }
  return undefined;
}

/** Maps a hash to an index of the endpoint list; the next index is the fallback when ejected. */
interface HashTable {
  lookup(hash: number, attempt: number): number;
}

class HashBalancer<E extends LbEndpoint> implements LoadBalancer<E> {
  private readonly fallback: RoundRobin<E>;
  constructor(
    private readonly endpoints: ReadonlyArray<E>,
    private readonly table: HashTable,
  ) {
    this.fallback = new RoundRobin(endpoints);
  }
  choose(key: string | undefined, usable: (e: E) => boolean): E | undefined {
    // Without a hash key (the request lacks the attribute) Envoy picks any host.
    if (key === undefined || this.endpoints.length === 0) return this.fallback.choose(undefined, usable);
    const hash = murmur3(key);
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const e = this.endpoints[this.table.lookup(hash, attempt)];
      if (e && usable(e)) return e;
    }
    return undefined;
  }
}

/**
 * Ketama-style ring: each endpoint gets the same number of points at murmur3(`key_i`); a request
 * goes to the first point clockwise of its hash. The count per endpoint does not depend on how
 * many endpoints there are, so removing one moves only the keys it owned. (Envoy derives the
 * count from minimum_ring_size / hosts, which also reshuffles survivors' keys when a host goes;
 * meshsim keeps 160 points per endpoint, as ketama does, and ignores minimum_ring_size.)
 */
export class RingHash implements HashTable {
  static readonly POINTS_PER_ENDPOINT = 160;
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;

  constructor(keys: ReadonlyArray<string>) {
    const n = keys.length;
    const perHost = RingHash.POINTS_PER_ENDPOINT;
    const entries: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) for (let r = 0; r < perHost; r++) entries.push([murmur3(`${keys[i]}_${r}`), i]);
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.points = Uint32Array.from(entries.map((e) => e[0]));
    this.owners = Uint16Array.from(entries.map((e) => e[1]));
  }

  lookup(hash: number, attempt: number): number {
    const pts = this.points;
    if (pts.length === 0) return -1;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    let idx = lo % pts.length;
    let owner = this.owners[idx]!;
    if (attempt === 0) return owner;
    // Later attempts walk on clockwise to the next distinct owner.
    const seen = new Set<number>([owner]);
    for (let steps = 0; seen.size <= attempt && steps < pts.length; steps++) {
      idx = (idx + 1) % pts.length;
      owner = this.owners[idx]!;
      seen.add(owner);
    }
    return owner;
  }
}

/** Maglev lookup table (Eisenbud et al., 2016) of prime size: near-perfect balance, minimal disruption. */
export class MaglevTable implements HashTable {
  static readonly SIZE = 65537;
  private readonly table: Int32Array;
  private readonly count: number;

  constructor(keys: ReadonlyArray<string>) {
    const m = MaglevTable.SIZE;
    const n = keys.length;
    this.count = n;
    this.table = new Int32Array(m).fill(-1);
    if (n === 0) return;
    const offset = keys.map((k) => murmur3(k, 0xdead) % m);
    const skip = keys.map((k) => (murmur3(k, 0xbeef) % (m - 1)) + 1);
    const next = new Array<number>(n).fill(0);
    let filled = 0;
    while (filled < m) {
      for (let i = 0; i < n && filled < m; i++) {
        let c = (offset[i]! + next[i]! * skip[i]!) % m;
        while (this.table[c] !== -1) {
          next[i]!++;
          c = (offset[i]! + next[i]! * skip[i]!) % m;
        }
        this.table[c] = i;
        next[i]!++;
        filled++;
      }
    }
  }

  lookup(hash: number, attempt: number): number {
    if (this.count === 0) return -1;
    return (this.table[hash % MaglevTable.SIZE]! + attempt) % this.count;
  }
}
