import type { Metadata } from "../codec/codec.ts";
import type { AttributeMatch, RouteConfig, RouteEntry } from "../config/types.ts";
import { compileAttributeMatch, type MetadataPredicate } from "./attribute-matcher.ts";

interface CompiledRoute {
  readonly entry: RouteEntry;
  readonly predicates: ReadonlyArray<MetadataPredicate>;
  readonly clusters: ReadonlyArray<string>;
  /** Cumulative weights, for a single binary-free scan. */
  readonly cumulative: ReadonlyArray<number>;
  readonly totalWeight: number;
}

export interface RouteDecision {
  route: RouteEntry;
  cluster: string;
}

/** One route as tried for a request: each matcher with whether it held (for `meshsim explain`). */
export interface RouteTrial {
  route: RouteEntry;
  matchers: Array<{ match: AttributeMatch; held: boolean }>;
  matched: boolean;
}

/**
 * An immutable, compiled route configuration. Routes are tried in order; the first whose
 * matchers all hold wins. Replacing the table is how updates reach live connections: each
 * request looks the table up by name, so the next request sees the new one.
 */
export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(
    readonly config: RouteConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.routes = config.routes.map(compileRoute);
  }

  /** The route and cluster for a request, or undefined when no route matches. */
  select(metadata: Metadata): RouteDecision | undefined {
    for (const route of this.routes) {
      if (!matchesAll(route.predicates, metadata)) continue;
      return { route: route.entry, cluster: pickCluster(route, this.random) };
    }
    return undefined;
  }

  /**
   * The routes tried for a request, in order, up to and including the one that matches (all of
   * them when none does): the same predicates `select` uses, each evaluated on its own.
   */
  trials(metadata: Metadata): RouteTrial[] {
    const out: RouteTrial[] = [];
    for (const route of this.routes) {
      const matchers = route.predicates.map((p, i) => ({ match: route.entry.match[i]!, held: p(metadata) }));
      const matched = matchers.every((m) => m.held);
      out.push({ route: route.entry, matchers, matched });
      if (matched) break;
    }
    return out;
  }

  /** Every cluster any route can send to. */
  clusterNames(): Set<string> {
    const names = new Set<string>();
    for (const r of this.routes) for (const c of r.clusters) names.add(c);
    return names;
  }
}

function matchesAll(predicates: ReadonlyArray<MetadataPredicate>, metadata: Metadata): boolean {
  for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(metadata)) return false;
  return true;
}

function compileRoute(entry: RouteEntry): CompiledRoute {
  const predicates = entry.match.map(compileAttributeMatch);
  if (entry.action.kind === "cluster") {
    return { entry, predicates, clusters: [entry.action.cluster], cumulative: [1], totalWeight: 1 };
  }
  const clusters: string[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const wc of entry.action.clusters) {
    if (!(wc.weight >= 0)) throw new Error(`route "${entry.name}": negative weight for cluster ${wc.name}`);
    if (wc.weight === 0) continue;
    total += wc.weight;
    clusters.push(wc.name);
    cumulative.push(total);
  }
  if (total === 0) throw new Error(`route "${entry.name}": weighted clusters have no positive weight`);
  return { entry, predicates, clusters, cumulative, totalWeight: total };
}

function pickCluster(route: CompiledRoute, random: () => number): string {
  if (route.clusters.length === 1) return route.clusters[0]!;
  const point = random() * route.totalWeight;
  for (let i = 0; i < route.cumulative.length; i++) if (point < route.cumulative[i]!) return route.clusters[i]!;
  return route.clusters[route.clusters.length - 1]!;
}
