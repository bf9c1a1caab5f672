import type { ServiceSpec } from "../types.ts";
/** How many redis-server processes play each version of a Redis service (fixtures/redis/service.ts). */
export function redisServers(s: ServiceSpec): number | undefined {
  if (s.protocol !== "redis") return undefined;
  return { single: 1, replicated: 2, cluster: 3 }[s.redis?.mode ?? "single"];
}

export function reportDuplicates(keys: string[], report: (index: number) => void): void {
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) report(i);
    seen.add(k);
  });
}

export function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
