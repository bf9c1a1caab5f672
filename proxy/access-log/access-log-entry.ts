/**
 * One access log line: a request from decode to its last byte, as JSON. The same fields for every
 * protocol; `metadata` holds what the codec decoded and routing could match on (method, service,
 * interface, THeader or attachment keys, Redis key, Kafka topic).
 */
export interface AccessLogEntry {
  /** ISO time the request was decoded. */
  startTime: string;
  durationMs: number;
  protocol: string;
  listener: string;
  metadata: Record<string, string>;
  /** Route name, or null when no route matched. */
  route: string | null;
  cluster: string | null;
  /** "host:port" of the last endpoint tried, or null when none was. */
  upstreamHost: string | null;
  /**
   * response: the upstream answered (`responseKind` says how); local-reply: the proxy answered
   * (`localReply` says why); oneway: written upstream, nobody waits; cancelled: the client left first.
   */
  outcome: "response" | "local-reply" | "oneway" | "cancelled";
  /** The upstream reply's kind: "response", or "error" for an application error. */
  responseKind?: string;
  /** The local reply's reason: no_route, timeout, rate_limited, fault_abort ... */
  localReply?: string;
  retries: number;
  /** The fault the route injected into this request, if any. */
  fault: "abort" | "delay" | null;
  mirrored: boolean;
  bytesIn: number;
  bytesOut: number;
}

/** Writes entries somewhere (a file); `write` must not block the caller. */
export interface AccessLogSink {
  write(entry: AccessLogEntry): void;
}

/** Wall-clock milliseconds with sub-millisecond precision, cheaper than `new Date()`. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function metadataObject(metadata: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of metadata) out[k] = v;
  return out;
}

/** Milliseconds rounded to microseconds, so lines stay short. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
