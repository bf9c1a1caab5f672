/**
 * `accessLog`: how many of a sidecar's access log lines match a filter, among the requests the
 * step saw (decoded after it began, or after a named step inside it finished): "no request to
 * v1 after the shift" is `where: {cluster: "outbound|9090|v1|*"}, after: shift, op: "==", value: 0`.
 */
import type { AccessLogCondition } from "../scenario/types.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";
import { compare } from "./metric.ts";

/** The fields a `where` may name; `metadata.<key>` names a metadata entry. */
export const ACCESS_LOG_FIELDS = ["protocol", "listener", "route", "cluster", "upstreamHost", "outcome", "responseKind", "localReply", "fault", "mirrored", "retries"] as const;

/** How many lines to quote in the report when the check fails. */
const EXAMPLES = 3;

export function accessLogName(c: AccessLogCondition): string {
  const where = Object.entries(c.where)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return `accessLog ${c.sidecar} ${where || "all"}${c.after !== undefined ? ` after "${c.after}"` : ""} ${c.op} ${c.value}`;
}

/** `lines` are the sidecar's whole log (JSON text each); only requests decoded at `fromMs` or later count. */
export function evaluateAccessLog(c: AccessLogCondition, lines: readonly string[], fromMs: number): AssertionResult {
  const matchers = Object.entries(c.where).map(([field, pattern]) => ({ field, re: globRegExp(pattern) }));
  let inWindow = 0;
  let unreadable = 0;
  const matched: string[] = [];
  for (const text of lines) {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      unreadable++;
      continue;
    }
    if (Date.parse(String(line.startTime)) < fromMs) continue;
    inWindow++;
    if (matchers.every(({ field, re }) => re.test(fieldValue(line, field)))) matched.push(text);
  }
  const passed = unreadable === 0 && compare(matched.length, c.op, c.value);
  const example = passed || matched.length === 0 ? "" : `; first: ${matched[0]!.slice(0, 400)}`;
  const problem = unreadable > 0 ? ` (${unreadable} lines are not JSON)` : "";
  return {
    name: accessLogName(c),
    passed,
    message: `accessLog: ${c.sidecar}: ${matched.length} of ${inWindow} requests${c.after !== undefined ? ` after "${c.after}"` : ""} match ${describeWhere(c.where)} (${c.op} ${c.value})${problem} — ${verdict(passed)}${example}`,
    details: { sidecar: c.sidecar, where: c.where, after: c.after, op: c.op, value: c.value, actual: matched.length, requests: inWindow, examples: matched.slice(0, EXAMPLES) },
  };
}

function fieldValue(line: Record<string, unknown>, field: string): string {
  const v = field.startsWith("metadata.") ? (line.metadata as Record<string, unknown> | undefined)?.[field.slice("metadata.".length)] : line[field];
  return v === undefined || v === null ? "" : String(v);
}

function describeWhere(where: Record<string, string>): string {
  const parts = Object.entries(where).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(", ") : "anything";
}

function globRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}
