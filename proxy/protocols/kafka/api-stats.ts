/**
 * Per-API statistics of one proxy's Kafka listeners: requests, responses, errors (broker error
 * codes where cheap to read, and local replies) and latency from request decoded to response
 * written, by API name. Exposed through the proxy's stats store as
 * `kafka.api.<ApiName>.<stat>` (see KAFKA_API_STATS) plus the codec-wide KAFKA_STATS.
 */
import { apiName } from "./api-keys.ts";

export const KAFKA_API_STATS = ["rq_total", "rs_total", "rs_error", "local_reply", "latency_ms_sum", "latency_ms_p50", "latency_ms_p99", "latency_ms_max"] as const;
export const KAFKA_STATS = ["broker_address_rewritten", "broker_address_unknown", "broker_address_unparsed", "responses_held", "request_body_unread"] as const;

const SAMPLES = 4096;

class ApiCounters {
  rqTotal = 0;
  rsTotal = 0;
  rsError = 0;
  localReply = 0;
  latencySum = 0;
  latencyMax = 0;
  readonly recent = new Float64Array(SAMPLES);
  recorded = 0;
}

export class KafkaApiStats {
  private readonly byKey = new Map<number, ApiCounters>();
  readonly codec: Record<(typeof KAFKA_STATS)[number], number> = { broker_address_rewritten: 0, broker_address_unknown: 0, broker_address_unparsed: 0, responses_held: 0, request_body_unread: 0 };

  private api(key: number): ApiCounters {
    let c = this.byKey.get(key);
    if (c === undefined) {
      c = new ApiCounters();
      this.byKey.set(key, c);
    }
    return c;
  }

  request(key: number): void {
    this.api(key).rqTotal++;
  }

  /** A response written to the client, `local` when the proxy wrote it. */
  response(key: number, latencyMs: number, errorCode: number, local: boolean): void {
    const c = this.api(key);
    c.rsTotal++;
    if (errorCode !== 0) c.rsError++;
    if (local) c.localReply++;
    c.latencySum += latencyMs;
    if (latencyMs > c.latencyMax) c.latencyMax = latencyMs;
    c.recent[c.recorded++ % SAMPLES] = latencyMs;
  }

  /** Every stat as [name, value], for StatsStore.addProvider. */
  *entries(): Iterable<[string, number]> {
    for (const [name, value] of Object.entries(this.codec)) yield [`kafka.${name}`, value];
    for (const [key, c] of this.byKey) {
      const p = `kafka.api.${apiName(key)}`;
      const n = Math.min(c.recorded, SAMPLES);
      const sorted = Array.from(c.recent.subarray(0, n)).sort((a, b) => a - b);
      // Nearest rank: the p-th percentile of n samples is the ceil(p·n)-th smallest.
      const q = (f: number) => (n === 0 ? 0 : round(sorted[Math.max(0, Math.ceil(f * n) - 1)]!));
      yield [`${p}.rq_total`, c.rqTotal];
      yield [`${p}.rs_total`, c.rsTotal];
      yield [`${p}.rs_error`, c.rsError];
      yield [`${p}.local_reply`, c.localReply];
      yield [`${p}.latency_ms_sum`, round(c.latencySum)];
      yield [`${p}.latency_ms_p50`, q(0.5)];
      yield [`${p}.latency_ms_p99`, q(0.99)];
      yield [`${p}.latency_ms_max`, round(c.latencyMax)];
    }
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
