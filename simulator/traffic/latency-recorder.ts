import * as hdr from "hdr-histogram-js";
import type { LatencySummary } from "./traffic-result.ts";

/** Latencies in microseconds in an HdrHistogram (3 significant digits). */
export class LatencyRecorder {
  private readonly histogram = hdr.build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, autoResize: true, lowestDiscernibleValue: 1 });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Adds every value `other` recorded (merging per-second histograms into a window). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const count = h.totalCount;
    const at = (p: number) => (count === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    return {
      count,
      minMs: count === 0 ? 0 : h.minNonZeroValue / 1000,
      meanMs: count === 0 ? 0 : h.mean / 1000,
      p50Ms: at(50),
      p90Ms: at(90),
      p95Ms: at(95),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: count === 0 ? 0 : h.maxValue / 1000,
    };
  }
}
