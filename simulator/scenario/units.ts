/**
 * Durations and rates as users write them in scenarios ("10s", "1m30s", "500/s") and
 * the numbers the simulator works with (milliseconds, requests per second).
 */

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const RATE_UNITS_PER_S: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };

/** The regular expressions the JSON Schema uses too, so editors flag the same values. */
export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(us|ms|s|m|h))+$";
export const RATE_PATTERN = "^\\d+(\\.\\d+)?/(s|m|h)$";

export const BANDWIDTH_PATTERN = "^\\d+(\\.\\d+)?(B|KB|KiB|MB|MiB)/s$";
const BANDWIDTH_UNITS: Record<string, number> = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576 };

/** Parses "64KiB/s" to bytes per second. */
export function parseBandwidth(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(B|KB|KiB|MB|MiB)\/s$/.exec(text.trim());
  if (!m) throw new RangeError(`expected a bandwidth like "64KiB/s" or "1MB/s", got "${text}"`);
  const value = Number(m[1]) * (BANDWIDTH_UNITS[m[2] as string] as number);
  if (value <= 0) throw new RangeError(`bandwidth must be positive, got "${text}"`);
  return value;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/gy;

/** Parses "500ms", "10s", "2m", "1m30s" to milliseconds; throws RangeError with a readable reason. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "") throw new RangeError(`expected a duration like "10s", "500ms" or "2m", got an empty string`);
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(trimmed); m; m = DURATION_PART.exec(trimmed)) {
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number);
    consumed = DURATION_PART.lastIndex;
  }
  if (consumed !== trimmed.length) {
    const hint = /^\d+(\.\d+)?$/.test(trimmed) ? ` (add a unit: "${trimmed}s" or "${trimmed}ms")` : "";
    throw new RangeError(`expected a duration like "10s", "500ms" or "2m", got "${text}"${hint}`);
  }
  return total;
}

/** Parses "500/s", "30000/m" or a plain number (per second) to requests per second. */
export function parseRate(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`rate must be a positive number, got ${value}`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/.exec(value);
  if (!m) throw new RangeError(`expected a rate like "500/s" or "30000/m", got "${value}"`);
  const perSecond = Number(m[1]) * (RATE_UNITS_PER_S[m[2] as string] as number);
  if (perSecond <= 0) throw new RangeError(`rate must be positive, got "${value}"`);
  return perSecond;
}

/** Short human form of a duration in milliseconds: 0.4ms, 12.3ms, 1.50s, 2m05s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Number.isInteger(ms) && ms < 1000) return `${ms}ms`;
  if (ms % 1000 === 0 && ms < 60_000) return `${ms / 1000}s`;
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, "0")}s`;
}
