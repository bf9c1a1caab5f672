import { performance } from "node:perf_hooks";
import type { TrafficResult } from "./traffic-result.ts";
import { CallError, type CallSpec, type Identity, type ProtocolDriver } from "./protocol-driver.ts";
import { ConnectionSet, type ConnectionMode } from "./connection-set.ts";
import type { LiveCounts } from "../assert/already-failed.ts";
import { LatencyRecorder } from "./latency-recorder.ts";

export type ExecutorSpec =
  | { type: "constant-arrival-rate"; rate: number; count?: number | undefined; durationMs?: number | undefined }
  | { type: "constant-concurrency"; concurrency: number; count?: number | undefined; durationMs?: number | undefined };

export interface TrafficRun {
  step: string;
  id?: string;
  from: string;
  to: string;
  driver: ProtocolDriver;
  address: { host: string; port: number };
  call: CallSpec;
  /** Request n carries header `header: key-<n mod count>`; successes are then counted per key. */
  keys?: { header: string; count: number };
  executor: ExecutorSpec;
  connections: { mode: ConnectionMode; size: number };
  timeoutMs: number;
  driverOptions?: Record<string, unknown>;
  /** Called about once a second with progress, for live terminal output. */
  onProgress?: ((p: { sent: number; completed: number; errors: number; elapsedMs: number }) => void) | undefined;
  /** Stops sending new requests; those in flight still complete. */
  signal?: AbortSignal | undefined;
  /**
   * Asked after every failed request: a reason to stop the traffic now because its
   * expectations can no longer hold. Requests still in flight are abandoned, not waited for.
   */
  abortWhen?: ((live: LiveCounts, maxRequests: number) => string | undefined) | undefined;
}

interface SecondBucket {
  requests: number;
  errors: number;
  errorsByKind: Record<string, number>;
  byVersion: Record<string, number>;
  byInstance: Record<string, number>;
  byService: Record<string, number>;
  latency: LatencyRecorder;
  opened: number;
  closedByPeer: number;
  resets: number;
}

/**
 * Each result's per-second latency histograms, kept in memory (not in summary.json) so that
 * `eventually` / `consistently` can compute exact percentiles over any window of seconds.
 */
export const secondHistograms = new WeakMap<TrafficResult, LatencyRecorder[]>();

/**
 * Drives one traffic step. Open loop (constant arrival rate): request i is due at start + i/rate
 * whatever happened to earlier ones, and its latency is measured from that intended time, so a
 * stall shows up in the percentiles instead of hiding (no coordinated omission). Closed loop
 * (constant concurrency): N callers each wait for their reply before the next call.
 */
export async function runTraffic(run: TrafficRun): Promise<TrafficResult> {
  const connections = new ConnectionSet(run.driver, run.address, run.connections.mode, run.connections.size, run.driverOptions ?? {}, (kind) => {
    if (start !== undefined) bucketAt(performance.now())[kind]++;
    else if (kind === "opened") openedBeforeStart++;
  });
  const corrected = new LatencyRecorder();
  const raw = new LatencyRecorder();
  const errors: Record<string, number> = {};
  const byIdentity: TrafficResult["byIdentity"] = { service: {}, version: {}, instance: {} };
  const byKey: Record<string, Record<string, number>> = {};
  const buckets: SecondBucket[] = [];
  let sent = 0;
  let completed = 0;
  let successes = 0;
  let errorCount = 0;

  let start: number | undefined;
  let openedBeforeStart = 0;
  const bucketAt = (t: number): SecondBucket => {
    const s = Math.max(0, Math.floor((t - (start ?? t)) / 1000));
    while (buckets.length <= s) {
      buckets.push({ requests: 0, errors: 0, errorsByKind: {}, byVersion: {}, byInstance: {}, byService: {}, latency: new LatencyRecorder(), opened: 0, closedByPeer: 0, resets: 0 });
    }
    return buckets[s]!;
  };
  await connections.warmUp().catch(() => undefined); // a failed warm-up shows up as failed calls
  const startedAt = new Date();
  start = performance.now();
  const origin = start;
  // The warm-up's connections belong to the traffic: count them in its first second.
  bucketAt(start).opened += openedBeforeStart;

  const exec = run.executor;
  const maxRequests = Math.min(
    exec.count ?? Number.POSITIVE_INFINITY,
    exec.type === "constant-arrival-rate" && exec.durationMs !== undefined ? Math.ceil((exec.rate * exec.durationMs) / 1000) : Number.POSITIVE_INFINITY,
  );
  let abortReason: string | undefined;
  let stopAbandoned: () => void = () => undefined;
  const abandoned = new Promise<void>((resolve) => (stopAbandoned = resolve));

  const record = (intended: number, actual: number, identity: Identity | undefined, error: unknown, key: string | undefined) => {
    if (abortReason !== undefined) return;
    const end = performance.now();
    completed++;
    const bucket = bucketAt(intended);
    bucket.requests++;
    corrected.recordMs(end - intended);
    raw.recordMs(end - actual);
    bucket.latency.recordMs(end - intended);
    if (error === undefined) {
      successes++;
      if (identity) {
        inc(byIdentity.service, identity.service);
        inc(byIdentity.version, identity.version);
        inc(byIdentity.instance, identity.instance);
        inc(bucket.byVersion, identity.version);
        inc(bucket.byInstance, identity.instance);
        inc(bucket.byService, identity.service);
        if (key !== undefined) inc((byKey[key] ??= {}), identity.instance);
      }
    } else {
      errorCount++;
      bucket.errors++;
      const kind = error instanceof CallError ? error.kind : "client_error";
      inc(errors, kind);
      inc(bucket.errorsByKind, kind);
      abortReason = run.abortWhen?.({ completed, failures: errorCount, errors }, maxRequests);
      if (abortReason !== undefined) stopAbandoned();
    }
  };

  const callOnce = async (intended: number, n: number): Promise<void> => {
    const actual = performance.now();
    const key = run.keys !== undefined ? `key-${n % run.keys.count}` : undefined;
    const call = key !== undefined ? { ...run.call, headers: { ...run.call.headers, [run.keys!.header]: key } } : run.call;
    let identity: Identity | undefined;
    let failure: unknown;
    try {
      const connection = await connections.acquire();
      try {
        identity = await connection.call(call, run.timeoutMs);
      } finally {
        connections.release(connection);
      }
    } catch (err) {
      failure = err ?? new CallError("client_error", "unknown failure");
    }
    record(intended, actual, identity, failure, key);
  };

  const progressTimer = run.onProgress ? setInterval(() => run.onProgress!({ sent, completed, errors: errorCount, elapsedMs: performance.now() - origin }), 1000) : undefined;
  try {
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const limitCount = exec.count ?? Number.POSITIVE_INFINITY;
    const endAt = exec.durationMs !== undefined ? origin + exec.durationMs : Number.POSITIVE_INFINITY;
    if (exec.type === "constant-arrival-rate") {
      const interval = 1000 / exec.rate;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          if (run.signal?.aborted || abortReason !== undefined) return resolve();
          while (sent < limitCount) {
            const due = origin + sent * interval;
            if (due > now || due >= endAt) break;
            track(callOnce(due, sent++));
          }
          const nextDue = origin + sent * interval;
          if (sent >= limitCount || nextDue >= endAt) return resolve();
          setTimeout(tick, Math.max(0, Math.min(nextDue - performance.now(), 50)));
        };
        tick();
      });
    } else {
      const worker = async () => {
        while (sent < limitCount && performance.now() < endAt && !run.signal?.aborted && abortReason === undefined) {
          await callOnce(performance.now(), sent++);
        }
      };
      await Promise.race([Promise.all(Array.from({ length: Math.max(1, exec.concurrency) }, worker)), abandoned]);
    }
    while (inFlight.size > 0 && abortReason === undefined) await Promise.race([Promise.all([...inFlight]), abandoned]);
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    await connections.close();
  }
  const durationMs = performance.now() - origin;
  const result: TrafficResult = {
    step: run.step,
    ...(run.id !== undefined ? { id: run.id } : {}),
    from: run.from,
    to: run.to,
    protocol: run.driver.protocol,
    requests: completed,
    successes,
    errors,
    byIdentity,
    ...(run.keys !== undefined ? { byKey } : {}),
    latency: corrected.summary(),
    latencyRaw: raw.summary(),
    connections: { ...connections.counters },
    startedAt: startedAt.toISOString(),
    durationMs,
    rate: durationMs > 0 ? (completed * 1000) / durationMs : 0,
    ...(abortReason !== undefined ? { aborted: { reason: abortReason, sent, abandoned: sent - completed } } : {}),
    timeline: buckets.map((b, second) => {
      const l = b.latency.summary();
      return {
        second,
        requests: b.requests,
        errors: b.errors,
        errorsByKind: b.errorsByKind,
        byVersion: b.byVersion,
        byInstance: b.byInstance,
        byService: b.byService,
        p50Ms: l.p50Ms,
        p99Ms: l.p99Ms,
        maxMs: l.maxMs,
        opened: b.opened,
        closedByPeer: b.closedByPeer,
        resets: b.resets,
      };
    }),
  };
  secondHistograms.set(
    result,
    buckets.map((b) => b.latency),
  );
  return result;
}

function inc(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}
