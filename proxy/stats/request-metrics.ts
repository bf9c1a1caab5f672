/**
 * Istio's standard request metrics, for every protocol the proxy routes: `istio_requests_total`
 * (a counter) and `istio_request_duration_milliseconds` (a histogram), labelled as Istio labels
 * them from the client-side sidecar (`reporter="source"`) — source and destination workload and
 * version, the destination service — plus what a meta protocol adds: the protocol, the method
 * (Kafka: the API name) and the outcome (ok, error, or the local reply's reason). Served on the
 * admin's `/stats/prometheus`.
 */
import type { EndpointWorkload } from "../config/types.ts";

export const REQUESTS_TOTAL = "istio_requests_total";
export const REQUEST_DURATION = "istio_request_duration_milliseconds";
/** Istio's default buckets for request durations, up to a minute. */
export const DURATION_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;

/** Who this proxy is (the bootstrap node), as the source labels say it. */
export interface SourceWorkload {
  name: string;
  namespace: string;
  version: string;
}

const UNKNOWN: EndpointWorkload = { name: "unknown", namespace: "unknown", app: "unknown", version: "unknown" };

class Series {
  count = 0;
  sumMs = 0;
  readonly buckets = new Array<number>(DURATION_BUCKETS_MS.length).fill(0);

  constructor(readonly labels: string) {}

  observe(ms: number): void {
    this.count++;
    this.sumMs += ms;
    for (let i = DURATION_BUCKETS_MS.length - 1; i >= 0 && ms <= DURATION_BUCKETS_MS[i]!; i--) this.buckets[i]!++;
  }
}

/** Nested lookups on values the request already holds (no key string to build per request). */
type Level<K, V> = Map<K, V>;

export class RequestMetrics {
  /** protocol → cluster → destination endpoint → method → outcome. */
  private readonly tree: Level<string, Level<string | undefined, Level<EndpointWorkload | undefined, Level<string, Level<string, Series>>>>> = new Map();
  /** By label set: clusters that differ only in subset can reach the same workload, and share a series. */
  private readonly series = new Map<string, Series>();
  /** Cluster name → destination service (the host of `outbound|<port>|<subset>|<host>`). */
  private readonly hosts = new Map<string, string>();

  constructor(private readonly source: SourceWorkload) {}

  record(protocol: string, cluster: string | undefined, destination: EndpointWorkload | undefined, method: string, outcome: string, durationMs: number): void {
    const byMethod = child(child(child(this.tree, protocol), cluster), destination);
    const byOutcome = child(byMethod, method) as Level<string, Series>;
    let s = byOutcome.get(outcome);
    if (s === undefined) {
      const labels = this.labels(protocol, cluster, destination ?? UNKNOWN, method, outcome);
      s = this.series.get(labels) ?? new Series(labels);
      this.series.set(labels, s);
      byOutcome.set(outcome, s);
    }
    s.observe(durationMs);
  }

  /** Prometheus text exposition of both metrics. */
  prometheus(): string {
    const all = [...this.series.values()];
    const out: string[] = [
      `# HELP ${REQUESTS_TOTAL} Requests, by source and destination workload, protocol, method and outcome.`,
      `# TYPE ${REQUESTS_TOTAL} counter`,
      ...all.map((s) => `${REQUESTS_TOTAL}{${s.labels}} ${s.count}`),
      `# HELP ${REQUEST_DURATION} Request duration from decode to reply, in milliseconds.`,
      `# TYPE ${REQUEST_DURATION} histogram`,
    ];
    for (const s of all) {
      DURATION_BUCKETS_MS.forEach((le, i) => out.push(`${REQUEST_DURATION}_bucket{${s.labels},le="${le}"} ${s.buckets[i]}`));
      out.push(`${REQUEST_DURATION}_bucket{${s.labels},le="+Inf"} ${s.count}`, `${REQUEST_DURATION}_sum{${s.labels}} ${s.sumMs}`, `${REQUEST_DURATION}_count{${s.labels}} ${s.count}`);
    }
    return `${out.join("\n")}\n`;
  }

  private labels(protocol: string, cluster: string | undefined, to: EndpointWorkload, method: string, outcome: string): string {
    const service = cluster === undefined ? "unknown" : this.hostOf(cluster);
    const pairs: Array<[string, string]> = [
      ["reporter", "source"],
      ["source_workload", this.source.name],
      ["source_workload_namespace", this.source.namespace],
      ["source_version", this.source.version],
      ["destination_service", service],
      ["destination_service_name", service.split(".")[0]!],
      ["destination_workload", to.name],
      ["destination_workload_namespace", to.namespace],
      ["destination_app", to.app],
      ["destination_version", to.version],
      ["request_protocol", protocol],
      ["request_method", method],
      ["outcome", outcome],
    ];
    return pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
  }

  private hostOf(cluster: string): string {
    let host = this.hosts.get(cluster);
    if (host === undefined) {
      const parts = cluster.split("|");
      host = parts.length === 4 ? parts[3]! : cluster;
      this.hosts.set(cluster, host);
    }
    return host;
  }
}

function child<K, V>(level: Map<K, V>, key: K): V {
  let next = level.get(key);
  if (next === undefined) {
    next = new Map() as V;
    level.set(key, next);
  }
  return next;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}
