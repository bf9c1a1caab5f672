import type { Endpoint, RedisReadPolicy } from "../../config/types.ts";
import type { Cluster } from "../../cluster/cluster.ts";
import { endpointKey } from "../../cluster/endpoint-pool.ts";
import { decodeReply, encodeCommand, type RespValue } from "./resp.ts";
import { fnv1a, hashTagRange, jumpHash, keySlot, SLOT_COUNT } from "./slot.ts";
import type { StatScope } from "../../stats/stats.ts";
import type { RedisClusterStat } from "./stats.ts";
import { TurnCounter } from "./turn-counter.ts";
import { RedisUpstreamConnection, type ReplyHandler, type UpstreamConnectionOwner } from "./upstream-connection.ts";

/** The listener settings the upstream side reads; the object is updated in place on config changes. */
export interface RedisUpstreamSettings {
  opTimeoutMs: number;
  maxBufferSizeBeforeFlush: number;
  bufferFlushTimeoutMs: number;
  readPolicy: RedisReadPolicy;
  enableHashtagging: boolean;
}

/** A node that failed to connect this recently is skipped by PREFER_* policies. */
const DOWN_FOR_MS = 1000;
const MAX_IDLE_DEDICATED = 16;
const REFRESH_DEBOUNCE_MS = 100;

/** One Redis server: shared pipelined connections (per RESP version) and pinned ones lent out. */
export class RedisNode {
  readonly key: string;
  role: "master" | "replica" = "master";
  replicas: RedisNode[] = [];
  private readonly shared: Array<RedisUpstreamConnection[]> = [[], [], [], []];
  private readonly rr = [0, 0, 0, 0];
  private readonly idle: Array<RedisUpstreamConnection[]> = [[], [], [], []];
  private dedicatedCount = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly owner: RedisUpstreamCluster,
    /** Cluster replicas answer reads only after READONLY. */
    private readonly readOnly: boolean,
  ) {
    this.key = endpointKey(endpoint);
  }

  /** A shared connection for this RESP version (round robin when the pool holds several). */
  connection(protocol: 2 | 3): RedisUpstreamConnection {
    const pool = this.shared[protocol]!;
    const size = this.owner.connectionsPerNode;
    if (pool.length < size) {
      const c = new RedisUpstreamConnection(this.endpoint, this.owner, protocol, this.readOnly);
      pool.push(c);
      return c;
    }
    if (size === 1) return pool[0]!;
    const i = this.rr[protocol]! % pool.length;
    this.rr[protocol] = i + 1;
    return pool[i]!;
  }

  /**
   * A connection for one client alone (a transaction, WATCH, a blocking command). Idle ones are
   * reused; a new one opens only when none is idle (Envoy opens one per transaction).
   */
  acquireDedicated(protocol: 2 | 3): RedisUpstreamConnection | undefined {
    const idle = this.idle[protocol]!;
    const reused = idle.pop();
    if (reused) {
      this.owner.clusterStats.inc("upstream_cx_dedicated");
      return reused;
    }
    const max = this.owner.maxDedicated;
    if (max !== undefined && this.dedicatedCount >= max) return undefined;
    const c = new RedisUpstreamConnection(this.endpoint, this.owner, protocol, this.readOnly);
    c.dedicated = true;
    this.dedicatedCount++;
    return c;
  }

  /** Back to the idle list; `dirty` (a client left mid-transaction) closes it instead. */
  releaseDedicated(c: RedisUpstreamConnection, dirty: boolean): void {
    const idle = this.idle[c.protocol]!;
    if (dirty || idle.length >= MAX_IDLE_DEDICATED || this.closed) {
      this.dedicatedCount--;
      c.close();
    } else idle.push(c);
  }

  /** Whether a recent connect to this node failed and no shared connection is up. */
  get down(): boolean {
    const now = Date.now();
    let failed = false;
    for (const pool of this.shared) {
      for (const c of pool) {
        if (c.isConnected) return false;
        if (now - c.lastFailureAt < DOWN_FOR_MS) failed = true;
      }
    }
    return failed;
  }

  private closed = false;

  close(): void {
    this.closed = true;
    for (const pool of this.shared) for (const c of pool) c.close();
    for (const pool of this.idle) for (const c of pool) c.close();
  }
}

interface Shard {
  master: RedisNode;
  replicas: RedisNode[];
}

/**
 * The Redis servers behind one cluster, as one listener sees them (Envoy keeps connection pools
 * per redis_proxy filter too). Proxy mode: one server, or several masters sharded by a
 * consistent hash of the key (replicas, found with ROLE, serve reads per the read policy).
 * Cluster mode: a slot map from CLUSTER SLOTS (or CLUSTER SHARDS), refreshed on MOVED and on
 * connect failures.
 */
export class RedisUpstreamCluster implements UpstreamConnectionOwner {
  readonly nodes = new Map<string, RedisNode>();
  private masters: RedisNode[] = [];
  /** Proxy mode with one master and no replicas: the whole hot path. */
  single: RedisNode | null = null;
  private slots: Array<Shard | undefined> = [];
  private ready = false;
  private discovering = false;
  private waiting: Array<(error?: string) => void> = [];
  private endpointsRef: ReadonlyArray<unknown> | null = null;
  private rr = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  private lastError = "";
  private readonly requests = new TurnCounter((n) => this.cluster.stats.inc("upstream_rq_total", n));

  constructor(
    public cluster: Cluster,
    readonly settings: RedisUpstreamSettings,
    readonly clusterStats: StatScope<RedisClusterStat>,
  ) {
    this.syncEndpoints();
  }

  get name(): string {
    return this.cluster.config.name;
  }

  get isClusterMode(): boolean {
    return this.cluster.config.redis?.mode === "cluster";
  }

  get connectTimeoutMs(): number {
    return this.cluster.config.connectTimeoutMs;
  }

  get opTimeoutMs(): number {
    return this.settings.opTimeoutMs;
  }

  get maxBufferSizeBeforeFlush(): number {
    return this.settings.maxBufferSizeBeforeFlush;
  }

  get bufferFlushTimeoutMs(): number {
    return this.settings.bufferFlushTimeoutMs;
  }

  get auth(): { username?: string; password: string } | undefined {
    return this.cluster.config.redis?.auth;
  }

  get connectionsPerNode(): number {
    return Math.max(1, this.cluster.config.connectionsPerEndpoint);
  }

  get maxDedicated(): number | undefined {
    return this.cluster.config.circuitBreakers?.maxConnections;
  }

  onRequests(n: number): void {
    this.requests.add(n);
  }

  onConnectionEvent(event: string): void {
    const stats = this.cluster.stats;
    switch (event) {
      case "open":
        stats.inc("upstream_cx_total");
        this.cluster.resources.connections.inc();
        break;
      case "connected":
        stats.inc("upstream_cx_active");
        break;
      case "connect_fail":
        stats.inc("upstream_cx_connect_fail");
        this.cluster.resources.connections.dec();
        if (this.isClusterMode) this.scheduleRefresh();
        break;
      case "closed_remote":
        stats.inc("upstream_cx_destroy_remote");
        stats.dec("upstream_cx_active");
        this.cluster.resources.connections.dec();
        if (this.isClusterMode) this.scheduleRefresh();
        break;
      case "closed":
        stats.dec("upstream_cx_active");
        this.cluster.resources.connections.dec();
        break;
      case "timeout":
        stats.inc("upstream_rq_timeout");
        this.clusterStats.inc("upstream_op_timeout");
        break;
      case "auth_fail":
        this.clusterStats.inc("upstream_auth_fail");
        break;
    }
  }

  /** Picks up EDS changes: nodes for new endpoints, removed ones closed. */
  syncEndpoints(): void {
    if (this.endpointsRef === this.cluster.endpoints) return;
    this.endpointsRef = this.cluster.endpoints;
    const keep = new Set<string>();
    for (const e of this.cluster.endpoints) {
      const key = endpointKey(e.endpoint);
      keep.add(key);
      if (!this.nodes.has(key)) this.nodes.set(key, new RedisNode(e.endpoint, this, false));
    }
    if (!this.isClusterMode) {
      for (const [key, node] of this.nodes) {
        if (!keep.has(key)) {
          node.close();
          this.nodes.delete(key);
        }
      }
      const all = [...this.nodes.values()];
      this.masters = all;
      this.single = all.length === 1 ? all[0]! : null;
      // Several servers: learn which are replicas before writing anywhere.
      this.ready = all.length <= 1;
      if (!this.ready) this.discover();
    } else {
      this.single = null;
      if (!this.ready) this.discover();
      else this.scheduleRefresh();
    }
  }

  /** Whether the topology is known, so that commands can be sent now. */
  get isReady(): boolean {
    return this.ready;
  }

  /**
   * True when the topology is known; else runs `then` once it is. `then` gets an error message
   * when discovery failed.
   */
  whenReady(then: (error?: string) => void): boolean {
    if (this.ready) return true;
    this.waiting.push(then);
    this.discover();
    return false;
  }

  /** Where a command with this key goes; undefined when no server can take it (message in `lastError`). */
  target(b: Buffer, start: number, end: number, read: boolean): RedisNode | undefined {
    if (this.isClusterMode) return this.forShard(this.slots[keySlot(b, start, end)], read);
    if (this.single !== null) return this.single;
    if (this.masters.length === 0) {
      this.lastError = `cluster ${this.name} has no endpoints`;
      return undefined;
    }
    let s = start;
    let e = end;
    if (this.settings.enableHashtagging) [s, e] = hashTagRange(b, start, end);
    const master = this.masters.length === 1 ? this.masters[0]! : this.masters[jumpHash(fnv1a(b, s, e), this.masters.length)]!;
    return this.forShard(master, read);
  }

  /** What keys must share to go in one command: the slot (cluster mode) or the server. */
  groupOf(b: Buffer, start: number, end: number): number | RedisNode | undefined {
    if (this.isClusterMode) return keySlot(b, start, end);
    return this.target(b, start, end, false);
  }

  /** The one server a key-less command may go to, when there is exactly one. */
  soleMaster(): RedisNode | undefined {
    if (this.isClusterMode) return undefined;
    return this.masters.length === 1 ? this.masters[0] : undefined;
  }

  error(): string {
    return this.lastError || `cluster ${this.name} is not available`;
  }

  /** A MOVED reply: the slot now lives on host:port. */
  moved(slot: number, host: string, port: number): RedisNode {
    const node = this.node({ host, port }, false);
    const shard = this.slots[slot];
    if (!shard || shard.master !== node) this.slots[slot] = { master: node, replicas: [] };
    this.scheduleRefresh();
    return node;
  }

  /** An ASK reply: this one command goes to host:port, the map stays. */
  askTarget(host: string, port: number): RedisNode {
    return this.node({ host, port }, false);
  }

  close(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    for (const n of this.nodes.values()) n.close();
    this.nodes.clear();
  }

  private forShard(shard: Shard | RedisNode | undefined, read: boolean): RedisNode | undefined {
    if (shard === undefined) {
      this.lastError = this.isClusterMode ? "CLUSTERDOWN Hash slot not served" : `cluster ${this.name} has no endpoints`;
      return undefined;
    }
    const master = shard instanceof RedisNode ? shard : shard.master;
    const replicas = shard instanceof RedisNode ? shard.replicas : shard.replicas;
    const policy = this.settings.readPolicy;
    if (!read || policy === "MASTER" || (replicas.length === 0 && policy !== "REPLICA")) return master;
    switch (policy) {
      case "PREFER_MASTER":
        return master.down ? (this.pickReplica(replicas) ?? master) : master;
      case "REPLICA": {
        const r = this.pickReplica(replicas);
        if (!r) this.lastError = `no replica available in cluster ${this.name}`;
        return r;
      }
      case "PREFER_REPLICA":
        return this.pickReplica(replicas) ?? master;
      case "ANY": {
        const i = this.rr++ % (replicas.length + 1);
        const n = i === 0 ? master : replicas[i - 1]!;
        return n.down ? master : n;
      }
    }
  }

  private pickReplica(replicas: RedisNode[]): RedisNode | undefined {
    for (let tries = 0; tries < replicas.length; tries++) {
      const r = replicas[this.rr++ % replicas.length]!;
      if (!r.down) return r;
    }
    return undefined;
  }

  private node(endpoint: Endpoint, readOnly: boolean): RedisNode {
    const key = `${endpoint.host}:${endpoint.port}${readOnly ? "/ro" : ""}`;
    let n = this.nodes.get(key);
    if (!n) {
      n = new RedisNode(endpoint, this, readOnly);
      this.nodes.set(key, n);
    }
    return n;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null || this.discovering) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.discover(true);
    }, REFRESH_DEBOUNCE_MS);
    this.refreshTimer.unref();
  }

  private discover(refresh = false): void {
    if (this.discovering || (this.ready && !refresh)) return;
    this.discovering = true;
    if (this.isClusterMode) this.discoverSlots();
    else this.probeRoles();
  }

  private finish(error?: string): void {
    this.discovering = false;
    if (error === undefined) this.ready = true;
    else this.lastError = error;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w(this.ready ? undefined : error);
  }

  /** Asks one seed after another for the slot map. */
  private discoverSlots(): void {
    const seeds: Endpoint[] = [
      ...[...this.nodes.values()].filter((n) => !n.key.endsWith("/ro")).map((n) => n.endpoint),
      ...(this.cluster.config.redis?.discoveryEndpoints ?? []),
      ...this.cluster.endpoints.map((e) => e.endpoint),
    ];
    const unique = [...new Map(seeds.map((s) => [endpointKey(s), s])).values()];
    this.clusterStats.inc("slot_map_refresh");
    const attempt = (i: number, useShards: boolean): void => {
      if (i >= unique.length) {
        this.clusterStats.inc("slot_map_refresh_failure");
        this.finish(`CLUSTERDOWN cannot read the slot map of cluster ${this.name}`);
        return;
      }
      const node = this.node(unique[i]!, false);
      const command = useShards ? ["CLUSTER", "SHARDS"] : ["CLUSTER", "SLOTS"];
      node.connection(2).send(encodeCommand(command), {
        onReply: (reply) => {
          let shards: Array<{ ranges: Array<[number, number]>; master: Endpoint; replicas: Endpoint[] }> | undefined;
          try {
            const value = decodeReply(reply).value;
            shards = useShards ? parseClusterShards(value) : parseClusterSlots(value);
          } catch {
            shards = undefined;
          }
          if (shards === undefined && !useShards) return attempt(i, true);
          if (shards === undefined || shards.length === 0) return attempt(i + 1, false);
          this.applySlots(shards);
          this.finish();
        },
        onFailure: () => attempt(i + 1, false),
      });
    };
    if (unique.length === 0) this.finish(`cluster ${this.name} has no endpoints`);
    else attempt(0, false);
  }

  private applySlots(shards: Array<{ ranges: Array<[number, number]>; master: Endpoint; replicas: Endpoint[] }>): void {
    const slots: Array<Shard | undefined> = new Array(SLOT_COUNT);
    for (const s of shards) {
      const shard: Shard = { master: this.node(s.master, false), replicas: s.replicas.map((r) => this.node(r, true)) };
      for (const [from, to] of s.ranges) for (let i = from; i <= to && i < SLOT_COUNT; i++) slots[i] = shard;
    }
    this.slots = slots;
  }

  /** ROLE on every server: masters take writes, replicas (matched to their master) take reads per policy. */
  private probeRoles(): void {
    const nodes = [...this.nodes.values()];
    this.clusterStats.inc("role_probe");
    let left = nodes.length;
    const roles = new Map<RedisNode, { role: string; replicas: string[] }>();
    const done = () => {
      if (--left > 0) return;
      const masters: RedisNode[] = [];
      for (const n of nodes) {
        n.replicas = [];
        const r = roles.get(n);
        n.role = r?.role === "slave" || r?.role === "replica" ? "replica" : "master";
        if (n.role === "master") masters.push(n);
      }
      for (const m of masters) {
        for (const key of roles.get(m)?.replicas ?? []) {
          const replica = this.nodes.get(key);
          if (replica && replica.role === "replica") m.replicas.push(replica);
        }
      }
      // Replicas whose master did not list them (still syncing) serve the first master.
      for (const n of nodes) if (n.role === "replica" && !masters.some((m) => m.replicas.includes(n)) && masters[0]) masters[0].replicas.push(n);
      this.masters = masters.length > 0 ? masters : nodes;
      this.single = this.masters.length === 1 && this.masters[0]!.replicas.length === 0 ? this.masters[0]! : null;
      this.finish();
    };
    if (nodes.length === 0) return this.finish();
    for (const n of nodes) {
      n.connection(2).send(encodeCommand(["ROLE"]), {
        onReply: (reply) => {
          try {
            const v = decodeReply(reply).value;
            if (Array.isArray(v) && typeof v[0] === "string") {
              const replicas = v[0] === "master" && Array.isArray(v[2]) ? (v[2] as RespValue[][]).map((r) => `${r[0]}:${r[1]}`) : [];
              roles.set(n, { role: v[0], replicas });
            }
          } catch {
            /* treated as a master */
          }
          done();
        },
        onFailure: () => done(),
      } satisfies ReplyHandler);
    }
  }
}

type ShardInfo = { ranges: Array<[number, number]>; master: Endpoint; replicas: Endpoint[] };

/** CLUSTER SLOTS: [[start, end, [ip, port, id], replicas...], ...]; undefined when it is an error. */
export function parseClusterSlots(value: RespValue): ShardInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const byMaster = new Map<string, ShardInfo>();
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length < 3) continue;
    const [from, to, ...nodes] = entry as [number, number, ...RespValue[][]];
    const eps = nodes.filter(Array.isArray).map((n) => ({ host: String(n[0]), port: Number(n[1]) }));
    if (eps.length === 0) continue;
    const key = endpointKey(eps[0]!);
    const shard: ShardInfo = byMaster.get(key) ?? { ranges: [], master: eps[0]!, replicas: eps.slice(1) };
    shard.ranges.push([Number(from), Number(to)]);
    byMaster.set(key, shard);
  }
  return [...byMaster.values()];
}

/** CLUSTER SHARDS (Redis 7): [["slots", [s, e, ...], "nodes", [[field, value, ...], ...]], ...] (maps in RESP3). */
export function parseClusterShards(value: RespValue): ShardInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ShardInfo[] = [];
  const fields = (v: RespValue): Map<string, RespValue> => {
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [String(k), x]));
    const m = new Map<string, RespValue>();
    if (Array.isArray(v)) for (let i = 0; i + 1 < v.length; i += 2) m.set(String(v[i]), v[i + 1]!);
    return m;
  };
  for (const raw of value) {
    const shard = fields(raw);
    const slots = (shard.get("slots") ?? []) as RespValue[];
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i + 1 < slots.length; i += 2) ranges.push([Number(slots[i]), Number(slots[i + 1])]);
    let master: Endpoint | undefined;
    const replicas: Endpoint[] = [];
    for (const n of (shard.get("nodes") ?? []) as RespValue[]) {
      const f = fields(n);
      if (f.get("health") !== undefined && f.get("health") !== "online") continue;
      const ep = { host: String(f.get("ip") ?? f.get("endpoint")), port: Number(f.get("port") ?? f.get("tls-port")) };
      if (f.get("role") === "master") master = ep;
      else replicas.push(ep);
    }
    if (master && ranges.length > 0) out.push({ ranges, master, replicas });
  }
  return out;
}
