/**
 * `connections`: what happened to the client's connections during the traffic — opened, closed
 * by the peer (the sidecar or service hung up while the client still wanted the connection) and
 * reset. `{closedByPeer: 0, resets: 0}` is the "a route change drops nothing" check.
 */
import type { CountRange } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";

export type ConnectionCounts = Partial<Record<"opened" | "closedByPeer" | "resets", CountRange>>;

export function evaluateConnections(counts: ConnectionCounts, result: TrafficResult): AssertionResult {
  const seen = result.connections;
  const checks = Object.entries(counts).map(([key, range]) => {
    const actual = seen[key as keyof typeof seen];
    const passed = actual >= range.min && (range.max === undefined || actual <= range.max);
    return { key, actual, min: range.min, max: range.max ?? null, passed, text: `${key}=${actual} (expected ${rangeText(range)})${passed ? "" : " violated"}` };
  });
  const passed = checks.every((c) => c.passed);
  return {
    name: `connections ${Object.keys(counts).join(", ")}`,
    passed,
    message: `connections: ${checks.map((c) => c.text).join("; ")}; seen: ${seen.opened} opened, ${seen.closedByPeer} closed by peer, ${seen.resets} reset — ${verdict(passed)}`,
    details: { checks: checks.map(({ text: _t, ...rest }) => rest), seen },
  };
}

export function rangeText(range: CountRange): string {
  return range.max === undefined ? `>= ${range.min}` : range.min === range.max ? `${range.min}` : `${range.min}..${range.max}`;
}
