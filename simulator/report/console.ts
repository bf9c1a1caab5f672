/** The run as a person reads it at the end of `meshsim run`. */
import { formatMs } from "../scenario/units.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { held, runOutcome, stepKind, type RunSummary, type StepSummary } from "./summary.ts";
import type { DifferentialFinding } from "../assert/differential.ts";

export interface ConsoleOptions {
  /** Default: `shouldUseColor()` for stdout. */
  color?: boolean;
}

/** Colours only on a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function shouldUseColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}

const CODES = { green: [32, 39], red: [31, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;
type Paint = (style: keyof typeof CODES, s: string) => string;

export function renderConsoleSummary(summary: RunSummary, options: ConsoleOptions = {}): string {
  const color = options.color ?? shouldUseColor();
  const paint: Paint = (style, s) => (color ? `\u001b[${CODES[style][0]}m${s}\u001b[${CODES[style][1]}m` : s);
  const mark = (passed: boolean) => (passed ? paint("green", "✓") : paint("red", "✗"));
  const lines: string[] = [];

  const verdict = summary.unsupported ? paint("yellow", `UNSUPPORTED on ${summary.dataPlane ?? "this data plane"}`) : summary.passed ? paint("green", "PASSED") : paint("red", "FAILED");
  const plane = summary.dataPlane !== undefined && summary.dataPlane !== "meshsim" ? ` on ${summary.dataPlane}` : "";
  lines.push(`${paint("bold", summary.scenario.name)} ${paint("dim", `(${summary.scenario.file})`)}${plane} ${verdict} in ${formatMs(summary.durationMs)}`);
  for (const u of summary.unsupported ?? []) lines.push(`  ${paint("yellow", u)}`);
  if (summary.error !== undefined) lines.push(`  ${paint("red", "error:")} ${indent(summary.error, "         ")}`);

  for (const step of summary.steps) {
    lines.push(`  ${mark(step.passed)} ${paint("bold", step.name)} ${paint("dim", `${stepKind(step)} · ${formatMs(step.durationMs)}`)}`);
    if (step.error !== undefined) lines.push(`      ${paint("red", "error:")} ${indent(step.error, "             ")}`);
    if (step.aborted !== undefined) lines.push(`      ${paint("red", "aborted:")} ${step.aborted}`);
    for (const t of step.traffic) lines.push(...trafficLines(t, paint));
    for (const e of step.expectations)
      lines.push(e.notApplicable !== undefined ? `      ${paint("yellow", "○")} ${paint("yellow", e.message)}` : `      ${mark(e.passed)} ${e.passed ? e.message : paint("red", e.message)}`);
  }

  if (summary.notRun !== undefined) lines.push(`  ${paint("dim", `not run (an earlier step was aborted): ${summary.notRun.join(", ")}`)}`);
  const expectations = summary.steps.flatMap((s) => s.expectations);
  const failed = expectations.filter((e) => !e.passed).length;
  const errored = summary.steps.filter((s) => s.error !== undefined).length;
  const tally = [
    `${summary.steps.length} step${summary.steps.length === 1 ? "" : "s"}`,
    held(expectations, summary.dataPlane),
    ...(errored ? [`${errored} step${errored === 1 ? "" : "s"} errored`] : []),
  ].join(", ");
  lines.push(`  ${failed || errored || summary.error ? paint("red", tally) : paint("green", tally)}`);
  return `${lines.join("\n")}\n`;
}

function trafficLines(t: TrafficResult, paint: Paint): string[] {
  const failures = t.requests - t.successes;
  const rate = t.requests > 0 ? `${((t.successes / t.requests) * 100).toFixed(2)}%` : "n/a";
  const errors = Object.entries(t.errors)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}=${n}`)
    .join(", ");
  const out = [
    `      ${t.from} → ${t.to} (${t.protocol}${t.id !== undefined ? `, ${t.id}` : ""}): ${t.requests} requests, ${t.successes} ok, ${failures} failed${errors ? ` (${errors})` : ""}, success ${rate}, ${t.rate.toFixed(0)}/s`,
  ];
  if (t.latency.count > 0) {
    const l = t.latency;
    out.push(paint("dim", `      latency p50 ${formatMs(l.p50Ms)} p99 ${formatMs(l.p99Ms)} max ${formatMs(l.maxMs)} · raw p50 ${formatMs(t.latencyRaw.p50Ms)} p99 ${formatMs(t.latencyRaw.p99Ms)}`));
  }
  for (const by of ["version", "instance"] as const) {
    const counts = Object.entries(t.byIdentity[by]);
    const total = counts.reduce((n, [, c]) => n + c, 0);
    if (counts.length === 0 || total === 0) continue;
    if (by === "instance" && counts.length === Object.keys(t.byIdentity.version).length) continue; // one instance per version adds nothing
    out.push(paint("dim", `      by ${by}: ${counts.map(([k, c]) => `${k}=${c} (${((c / total) * 100).toFixed(1)}%)`).join(" ")}`));
  }
  const c = t.connections;
  if (c.closedByPeer > 0 || c.resets > 0) out.push(paint("yellow", `      connections: ${c.opened} opened, ${c.closedByPeer} closed by peer, ${c.resets} reset`));
  else out.push(paint("dim", `      connections: ${c.opened} opened`));
  return out;
}

function indent(s: string, pad: string): string {
  return s.split("\n").join(`\n${pad}`);
}

/** The table at the end of a run of several scenarios: one row each, then the totals. */
export function renderRunTable(summaries: readonly RunSummary[], planned = summaries.length, options: ConsoleOptions = {}): string {
  const color = options.color ?? shouldUseColor();
  const paint: Paint = (style, s) => (color ? `\u001b[${CODES[style][0]}m${s}\u001b[${CODES[style][1]}m` : s);
  const rows = summaries.map((s) => {
    const e = s.steps.flatMap((step) => step.expectations);
    const held = e.filter((x) => x.passed).length;
    return [s.passed ? "pass" : s.error !== undefined ? "error" : "FAIL", s.scenario.name, `${s.steps.length}`, `${held}/${e.length}`, formatMs(s.durationMs)];
  });
  const header = ["result", "scenario", "steps", "expectations", "time"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const out = [paint("bold", line(header))];
  for (const r of rows) {
    const text = line(r);
    out.push(r[0] === "pass" ? paint("green", text) : paint("red", text));
  }
  const passed = summaries.filter((s) => s.passed).length;
  const total = summaries.reduce((n, s) => n + s.durationMs, 0);
  const skipped = planned - summaries.length;
  out.push(`${passed}/${planned} scenarios passed${skipped > 0 ? `, ${skipped} not run` : ""} in ${formatMs(total)}`);
  return `\n${out.join("\n")}\n`;
}

/**
 * The two runs of `--data-plane both` side by side: per step, pass/fail and what clients saw on
 * each data plane; then the differential findings (significant disagreements) with the side to
 * suspect (`compareDataPlanes`).
 */
export function renderDataPlaneComparison(meshsim: RunSummary, envoy: RunSummary, findings: readonly DifferentialFinding[], options: ConsoleOptions = {}): string {
  const color = options.color ?? shouldUseColor();
  const paint: Paint = (style, s) => (color ? `\u001b[${CODES[style][0]}m${s}\u001b[${CODES[style][1]}m` : s);
  const lines = [paint("bold", `${meshsim.scenario.name}: meshsim ${runOutcome(meshsim)} · envoy ${runOutcome(envoy)}`)];
  const seen = (t: TrafficResult | undefined) =>
    t
      ? `${t.successes}/${t.requests} ok${
          Object.keys(t.byIdentity.version).length > 0
            ? ` ${Object.entries(t.byIdentity.version)
                .map(([v, n]) => `${v}=${n}`)
                .join(" ")}`
            : ""
        }`
      : "—";
  const width = Math.max(...meshsim.steps.map((s) => s.name.length), 4);
  lines.push(paint("dim", `  ${"step".padEnd(width)}  ${"meshsim".padEnd(32)}  envoy`));
  for (const [i, step] of meshsim.steps.entries()) {
    const other = envoy.steps[i];
    const cell = (s: StepSummary | undefined) => (s ? `${s.passed ? "✓" : "✗"} ${seen(s.traffic[0])}` : "not run");
    lines.push(`  ${step.name.padEnd(width)}  ${cell(step).padEnd(32)}  ${cell(other)}`);
  }
  if (meshsim.unsupported || envoy.unsupported) return `${lines.join("\n")}\n`;
  if (findings.length === 0) lines.push(paint("green", "  no significant difference between the data planes"));
  for (const f of findings) {
    lines.push(paint("yellow", `  ≠ ${f.step}: ${f.aspect} differs (p=${f.p.toExponential(1)}): ${f.message}`));
    lines.push(paint("dim", `    ${f.hint}`));
  }
  return `${lines.join("\n")}\n`;
}
