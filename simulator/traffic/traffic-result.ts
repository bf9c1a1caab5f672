/** What one traffic step observed; assertions and reports read only this. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface TrafficResult {
  /** The step's name, and its `id` inside `parallel` when given. */
  step: string;
  id?: string;
  from: string;
  to: string;
  protocol: string;
  requests: number;
  successes: number;
  /** Failed requests by kind, e.g. { "TApplicationException:no_route": 3, "timeout": 1 }. */
  errors: Record<string, number>;
  /** Successful responses attributed by the replying fixture's identity fields. */
  byIdentity: {
    service: Record<string, number>;
    version: Record<string, number>;
    instance: Record<string, number>;
  };
  /** With `keys`: successful responses per request key, by the replying instance. */
  byKey?: Record<string, Record<string, number>>;
  /** Latency from the intended send time (open loop) — corrected. */
  latency: LatencySummary;
  /** Latency from the actual send time. */
  latencyRaw: LatencySummary;
  connections: { opened: number; closedByPeer: number; resets: number };
  /** When the first request was due: the origin of `timeline` (ISO 8601). */
  startedAt: string;
  durationMs: number;
  /** Achieved request rate, requests per second. */
  rate: number;
  /** Per-second series (by intended send time) for reports and `eventually` / `consistently`. */
  timeline: TimelineSecond[];
  /**
   * Set when the traffic stopped early because its expectations could no longer hold: why, how
   * many requests were sent, and how many of those were still in flight and left unrecorded.
   */
  aborted?: { reason: string; sent: number; abandoned: number };
}

export interface TimelineSecond {
  /** Seconds since `startedAt`. */
  second: number;
  requests: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Successful responses by the replying fixture's identity. */
  byVersion: Record<string, number>;
  byInstance: Record<string, number>;
  byService: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connection events that happened in this second (connections opened before the first request count in second 0). */
  opened: number;
  closedByPeer: number;
  resets: number;
}
