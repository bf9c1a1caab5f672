import type { RedisFaultConfig, RedisListenerConfig, RedisRouteTarget } from "../../config/types.ts";
import { faultFires } from "../../filters/fault.ts";

/** A route compiled for matching on raw key bytes. */
export interface CompiledRoute {
  /** Empty for the catch-all. */
  readonly prefix: Buffer;
  readonly removePrefix: boolean;
  readonly cluster: string;
  readonly mirrors: RedisRouteTarget["mirrors"];
}

export interface CompiledFault {
  readonly type: "ERROR" | "DELAY";
  /** 0 to 100. */
  readonly percentage: number;
  readonly delayMs: number;
  /** Lower-case names; undefined: every command. */
  readonly commands: ReadonlySet<string> | undefined;
}

/**
 * Prefix routing as Envoy's redis_proxy does it: the longest matching prefix wins, a key no
 * prefix matches takes the catch-all route, and with `caseInsensitive` prefixes match in any
 * letter case. Matching works on bytes, so keys are never decoded to strings.
 */
export class RedisRouter {
  /** Longest prefix first. */
  private readonly routes: CompiledRoute[];
  readonly catchAll: CompiledRoute | undefined;
  private readonly caseInsensitive: boolean;
  readonly faults: CompiledFault[];
  /** Only a catch-all and no faults: every key goes the same way. */
  readonly trivial: boolean;

  constructor(readonly config: RedisListenerConfig) {
    this.caseInsensitive = config.caseInsensitive;
    this.routes = config.routes
      .map((r) => ({
        prefix: Buffer.from(this.caseInsensitive ? r.prefix.toLowerCase() : r.prefix),
        removePrefix: r.removePrefix,
        cluster: r.cluster,
        mirrors: r.mirrors,
      }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    this.catchAll = config.catchAll ? { prefix: Buffer.alloc(0), removePrefix: false, cluster: config.catchAll.cluster, mirrors: config.catchAll.mirrors } : undefined;
    this.faults = config.faults.map(compileFault);
    this.trivial = this.routes.length === 0;
  }

  /** The route for the key in `b[start, end)`, or undefined when nothing matches. */
  route(b: Buffer, start: number, end: number): CompiledRoute | undefined {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      const p = r.prefix;
      if (p.length > end - start) continue;
      let j = 0;
      if (this.caseInsensitive) {
        for (; j < p.length; j++) {
          let c = b[start + j]!;
          if (c >= 65 && c <= 90) c += 32;
          if (c !== p[j]) break;
        }
      } else {
        for (; j < p.length; j++) if (b[start + j] !== p[j]) break;
      }
      if (j === p.length) return r;
    }
    return this.catchAll;
  }

  /** The fault to apply to this command: the first that names it (or every command) and fires.
   * The proxy's own commands (AUTH, PING ...) never get here. */
  fault(command: string): CompiledFault | undefined {
    for (const f of this.faults) {
      if (f.commands !== undefined && !f.commands.has(command)) continue;
      if (faultFires(f.percentage)) return f;
    }
    return undefined;
  }

  /**
   * Whether the catch-all's servers hold less than the whole keyspace: some prefix route sends
   * its keys to another cluster, or stores them without their prefix.
   */
  splitsKeyspace(): boolean {
    const all = this.catchAll?.cluster;
    return this.routes.some((r) => r.cluster !== all || r.removePrefix);
  }

  /** The clusters any route uses (for key-less commands and stats). */
  clusters(): string[] {
    return [...new Set([...this.routes.map((r) => r.cluster), ...(this.catchAll ? [this.catchAll.cluster] : [])])];
  }
}

function compileFault(f: RedisFaultConfig): CompiledFault {
  return {
    type: f.type,
    percentage: f.percentage,
    delayMs: f.delayMs,
    commands: f.commands.length > 0 ? new Set(f.commands.map((c) => c.toLowerCase())) : undefined,
  };
}
