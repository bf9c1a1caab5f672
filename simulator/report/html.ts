/**
 * report.html: one self-contained page rendered from summary.json — inline CSS and SVG, no
 * script, no fonts or files from the network — so it opens from a CI artifact or an e-mail.
 * Pass/fail first; then per step its expectations, events, and for each traffic action the
 * latency, request/error and destination-split charts over time; the scenario text last.
 */
import { formatMs } from "../scenario/units.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { held, stepKind, type RunSummary, type StepEvent, type StepSummary } from "./summary.ts";
import { lineChart, PALETTE, stackedBars, stackedShares, type Marker } from "./svg-chart.ts";

export const CSS = `
.waterfall { width: 30%; } .waterfall div { height: 0.8em; background: #4a7bd0; border-radius: 2px; }
:root { --ok: #15803d; --bad: #b91c1c; --na: #b45309; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { padding: 18px 28px; color: #fff; }
header.pass { background: var(--ok); } header.fail { background: var(--bad); } header.na { background: var(--na); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .verdict { font-weight: 700; letter-spacing: .05em; }
header .meta { opacity: .9; font-size: 13px; }
main { padding: 8px 28px 40px; max-width: 1240px; }
section.step { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
section.step h2 { margin: 0 0 6px; font-size: 17px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; vertical-align: middle; }
.badge.pass { background: var(--ok); } .badge.fail { background: var(--bad); }
.muted { color: var(--muted); }
ul.expect { list-style: none; padding: 0; margin: 8px 0; }
ul.expect li { padding: 3px 0 3px 22px; position: relative; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
ul.expect li::before { position: absolute; left: 2px; font-weight: 700; }
ul.expect li.pass::before { content: "✓"; color: var(--ok); } ul.expect li.fail::before { content: "✗"; color: var(--bad); }
ul.expect li.fail { color: var(--bad); }
ul.expect li.na::before { content: "○"; color: var(--na); } ul.expect li.na { color: var(--na); }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 16px; }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
svg.chart .grid { stroke: #f1f5f9; } svg.chart .axis { stroke: #9ca3af; }
svg.chart .tick { font-size: 10px; fill: var(--muted); } svg.chart .axis-label { font-size: 11px; fill: var(--muted); }
svg.chart .chart-title { font-size: 12px; font-weight: 600; fill: #374151; }
svg.chart .series { fill: none; stroke-width: 1.8; } svg.chart .area { opacity: .85; }
svg.chart .legend text { font-size: 11px; fill: #374151; }
svg.chart .marker line { stroke-dasharray: 3 3; stroke-width: 1.2; } svg.chart .marker text { font-size: 9.5px; fill: #4b5563; }
.error { color: var(--bad); white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12.5px; }
pre.source { background: #0f172a; color: #e2e8f0; padding: 12px 14px; border-radius: 6px; overflow: auto; font-size: 12px; line-height: 1.5; }
pre.source .ln { color: #64748b; user-select: none; display: inline-block; width: 3em; }
details > summary { cursor: pointer; color: #374151; font-weight: 600; margin: 6px 0; }
`;

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderHtml(summary: RunSummary): string {
  const expectations = summary.steps.flatMap((s) => s.expectations);
  const verdict = summary.unsupported ? `UNSUPPORTED ON ${(summary.dataPlane ?? "").toUpperCase()}` : summary.passed ? "PASSED" : "FAILED";
  const tags = summary.scenario.tags.length ? ` · tags: ${summary.scenario.tags.map(esc).join(", ")}` : "";
  const vars =
    summary.scenario.vars && Object.keys(summary.scenario.vars).length
      ? ` · vars: ${Object.entries(summary.scenario.vars)
          .map(([k, v]) => `${esc(k)}=${esc(String(v))}`)
          .join(", ")}`
      : "";
  const out: string[] = [];
  out.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  out.push(`<title>${esc(verdict)} · ${esc(summary.scenario.name)} · meshsim</title><style>${CSS}</style></head><body>`);
  out.push(`<header class="${summary.unsupported ? "na" : summary.passed ? "pass" : "fail"}" id="verdict" data-passed="${summary.passed}">`);
  out.push(`<h1><span class="verdict">${verdict}</span> · ${esc(summary.scenario.name)}</h1>`);
  out.push(
    `<div class="meta">${esc(summary.scenario.file)} · started ${esc(summary.startedAt)} · ${esc(formatMs(summary.durationMs))} · ${held(expectations, summary.dataPlane)}${summary.dataPlane ? ` · data plane: ${esc(summary.dataPlane)}` : ""}${tags}${vars}</div>`,
  );
  if (summary.scenario.description) out.push(`<div class="meta">${esc(summary.scenario.description)}</div>`);
  out.push(`</header><main>`);
  if (summary.error !== undefined) out.push(`<section class="step"><h2>Run error</h2><div class="error">${esc(summary.error)}</div></section>`);
  if (summary.unsupported) {
    out.push(
      `<section class="step"><h2>Not supported on ${esc(summary.dataPlane ?? "this data plane")}: nothing ran</h2><ul class="expect">${summary.unsupported.map((u) => `<li class="na">${esc(u)}</li>`).join("")}</ul></section>`,
    );
  }

  out.push(`<section class="step"><h2>Expectations</h2>${expectationList(summary.steps)}</section>`);
  for (const step of summary.steps) out.push(stepSection(step, summary));

  if (summary.sampledTrace !== undefined) out.push(traceSection(summary.sampledTrace));
  if (summary.logs !== undefined) out.push(logsSection(summary.logs));
  if (summary.scenario.text !== undefined) {
    const lines = summary.scenario.text.replace(/\n$/, "").split("\n");
    const numbered = lines.map((l, i) => `<span class="ln">${i + 1}</span>${esc(l)}`).join("\n");
    out.push(`<section class="step"><details open><summary>Scenario — ${esc(summary.scenario.file)}</summary><pre class="source">${numbered}</pre></details></section>`);
  }
  out.push(
    `<p class="muted">meshsim ${esc(summary.tool.version)} · ${esc(summary.environment.node)} · ${esc(summary.environment.platform)}${summary.environment.backend ? ` · ${esc(summary.environment.backend)} backend` : ""}</p>`,
  );
  out.push(`</main></body></html>\n`);
  return out.join("\n");
}

function expectationClass(e: { passed: boolean; notApplicable?: string }): string {
  return e.notApplicable !== undefined ? "na" : e.passed ? "pass" : "fail";
}

function expectationList(steps: readonly StepSummary[]): string {
  const items = steps.flatMap((s) => [
    ...(s.error !== undefined ? [`<li class="fail">${esc(s.name)} › ${esc(stepKind(s))}: ${esc(s.error.split("\n")[0] ?? "")}</li>`] : []),
    ...(s.aborted !== undefined ? [`<li class="fail">${esc(s.name)} › aborted: ${esc(s.aborted)}</li>`] : []),
    ...s.expectations.map((e) => `<li class="${expectationClass(e)}">${esc(s.name)} › ${esc(e.message)}</li>`),
  ]);
  return items.length ? `<ul class="expect">${items.join("")}</ul>` : `<p class="muted">No expectations.</p>`;
}

function stepSection(step: StepSummary, summary: RunSummary): string {
  const out: string[] = [];
  out.push(`<section class="step" data-step="${esc(step.name)}">`);
  out.push(
    `<h2>${esc(step.name)} <span class="badge ${step.passed ? "pass" : "fail"}">${step.passed ? "pass" : "fail"}</span> <span class="muted">${esc(stepKind(step))} · ${esc(formatMs(step.durationMs))}</span></h2>`,
  );
  if (step.error !== undefined) out.push(`<div class="error">${esc(step.error)}</div>`);
  if (step.aborted !== undefined) out.push(`<div class="error">aborted: ${esc(step.aborted)}</div>`);
  if (step.expectations.length) out.push(`<ul class="expect">${step.expectations.map((e) => `<li class="${expectationClass(e)}">${esc(e.message)}</li>`).join("")}</ul>`);
  const events = step.events ?? [];
  if (events.length > 1 || events.some((e) => e.action !== "traffic")) out.push(eventTable(events));
  for (const t of step.traffic) out.push(trafficBlock(t, events, summary));
  out.push(`</section>`);
  return out.join("\n");
}

function eventTable(events: readonly StepEvent[]): string {
  const rows = events.map(
    (e) =>
      `<tr><td class="num">${(e.atMs / 1000).toFixed(2)}s</td><td>${esc(e.action)}</td><td>${esc(e.detail)}</td><td class="num">${esc(formatMs(e.durationMs))}</td><td>${esc(e.step)}</td><td class="error">${esc(e.error ?? "")}</td></tr>`,
  );
  return `<details><summary>${events.length} actions</summary><table><tr><th>at</th><th>action</th><th>detail</th><th>took</th><th>step</th><th></th></tr>${rows.join("")}</table></details>`;
}

function trafficBlock(t: TrafficResult, events: readonly StepEvent[], summary: RunSummary): string {
  const out: string[] = [];
  const label = `${t.from} → ${t.to}${t.id !== undefined ? ` (${t.id})` : ""}`;
  const failures = t.requests - t.successes;
  out.push(`<h3>${esc(label)} <span class="muted">${esc(t.protocol)}</span></h3>`);
  out.push(
    `<table><tr><th>requests</th><th>ok</th><th>failed</th><th>rate</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>raw p50</th><th>raw p99</th><th>connections</th></tr>` +
      `<tr><td class="num">${t.requests}</td><td class="num">${t.successes}</td><td class="num">${failures}</td><td class="num">${t.rate.toFixed(0)}/s</td>` +
      [t.latency.p50Ms, t.latency.p90Ms, t.latency.p99Ms, t.latency.p999Ms, t.latency.maxMs, t.latencyRaw.p50Ms, t.latencyRaw.p99Ms].map((v) => `<td class="num">${esc(formatMs(v))}</td>`).join("") +
      `<td>${t.connections.opened} opened, ${t.connections.closedByPeer} closed by peer, ${t.connections.resets} reset</td></tr></table>`,
  );

  const origin = Date.parse(t.startedAt) - Date.parse(summary.startedAt);
  const markers: Marker[] = events
    .filter((e) => e.action === "apply" || e.action === "delete" || e.action === "fault")
    .map((e) => ({ x: (e.atMs + e.durationMs - origin) / 1000, label: `${e.action} ${e.detail}`, color: e.action === "fault" ? "#b91c1c" : "#6b7280" }));
  const xMax = Math.max(t.timeline.length, t.durationMs / 1000);
  const seconds = t.timeline;
  const charts: string[] = [];
  charts.push(
    lineChart({
      title: "Latency per second (from intended send time)",
      yLabel: "ms",
      xMax,
      markers,
      series: [
        { name: "p50", color: PALETTE[0]!, points: seconds.map((s) => [s.second + 0.5, s.p50Ms ?? 0]) },
        { name: "p99", color: PALETTE[1]!, points: seconds.map((s) => [s.second + 0.5, s.p99Ms]) },
        { name: "max", color: PALETTE[3]!, points: seconds.map((s) => [s.second + 0.5, s.maxMs ?? s.p99Ms]), dashed: true },
      ],
    }),
  );
  charts.push(
    stackedBars({
      title: "Requests per second",
      markerLabels: false,
      yLabel: "requests",
      xMax,
      markers,
      series: [
        { name: "ok", color: "#10b981", points: seconds.map((s) => [s.second, s.requests - s.errors]) },
        { name: "errors", color: "#ef4444", points: seconds.map((s) => [s.second, s.errors]) },
      ],
    }),
  );
  const versions = [...new Set(seconds.flatMap((s) => Object.keys(s.byVersion)))].sort();
  if (versions.length > 0) {
    charts.push(
      stackedShares({
        title: "Destination split per second (by version)",
        markerLabels: false,
        yLabel: "share of responses",
        xMax,
        markers,
        series: versions.map((v, i) => ({
          name: v,
          color: PALETTE[i % PALETTE.length]!,
          points: seconds.map((s) => {
            const total = Object.values(s.byVersion).reduce((a, b) => a + b, 0);
            return [s.second, total > 0 ? (s.byVersion[v] ?? 0) / total : 0] as [number, number];
          }),
        })),
      }),
    );
  }
  if (seconds.some((s) => (s.closedByPeer ?? 0) > 0 || (s.resets ?? 0) > 0)) {
    charts.push(
      stackedBars({
        title: "Connection events per second",
        markerLabels: false,
        yLabel: "events",
        xMax,
        markers,
        series: [
          { name: "closed by peer", color: "#f59e0b", points: seconds.map((s) => [s.second, s.closedByPeer ?? 0]) },
          { name: "resets", color: "#7c3aed", points: seconds.map((s) => [s.second, s.resets ?? 0]) },
        ],
      }),
    );
  }
  out.push(`<div class="charts">${charts.join("")}</div>`);

  const errorRows = Object.entries(t.errors).sort((a, b) => b[1] - a[1]);
  if (errorRows.length) {
    out.push(`<table><tr><th>error kind</th><th>count</th></tr>${errorRows.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${n}</td></tr>`).join("")}</table>`);
  }
  const byVersion = Object.entries(t.byIdentity.version);
  if (byVersion.length) {
    const total = byVersion.reduce((n, [, c]) => n + c, 0);
    out.push(
      `<table><tr><th>version</th><th>responses</th><th>share</th></tr>${byVersion.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${n}</td><td class="num">${((n / total) * 100).toFixed(1)}%</td></tr>`).join("")}</table>`,
    );
  }
  return out.join("\n");
}

/** One sampled request's spans: a waterfall (offset and length to scale) with each span's attributes. */
function traceSection(trace: NonNullable<RunSummary["sampledTrace"]>): string {
  const t0 = Date.parse(trace.spans[0]!.startTime);
  const total = Math.max(...trace.spans.map((sp) => Date.parse(sp.startTime) - t0 + sp.durationMs), 0.001);
  const rows = trace.spans.map((sp) => {
    const left = ((Date.parse(sp.startTime) - t0) / total) * 100;
    const width = Math.max((sp.durationMs / total) * 100, 0.5);
    const attributes = Object.entries(sp.attributes)
      .map(([k, v]) => `${esc(k)}=${esc(v)}`)
      .join(" · ");
    return (
      `<tr class="${sp.error ? "fail" : ""}"><td>${esc(sp.service)}</td><td>${esc(sp.name)}</td><td class="num">${esc(formatMs(sp.durationMs))}</td>` +
      `<td class="waterfall"><div style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></div></td><td class="muted">${attributes}</td></tr>`
    );
  });
  return (
    `<section class="step" id="trace"><h2>A sampled request's spans</h2><div class="meta">trace ${esc(trace.traceId)}</div>` +
    `<table><tr><th>service</th><th>span</th><th>duration</th><th>timeline</th><th>attributes</th></tr>${rows.join("")}</table></section>`
  );
}

/** Links to the files kept beside the report: access logs first (one JSON line per request), then outputs. */
function logsSection(logs: NonNullable<RunSummary["logs"]>): string {
  const item = (l: (typeof logs)[number]) => `<li><a href="${esc(l.file)}">${esc(l.part)}</a></li>`;
  const access = logs.filter((l) => l.kind === "access-log");
  const traces = logs.filter((l) => l.kind === "traces");
  const output = logs.filter((l) => l.kind === "output");
  return (
    `<section class="step" id="logs"><h2>Logs</h2>` +
    (access.length > 0 ? `<p>Access logs (one JSON line per request):</p><ul class="logs">${access.map(item).join("")}</ul>` : "") +
    (traces.length > 0 ? `<p>Spans (OTLP/HTTP JSON, one export request per line):</p><ul class="logs">${traces.map(item).join("")}</ul>` : "") +
    (output.length > 0 ? `<p>Process output:</p><ul class="logs">${output.map(item).join("")}</ul>` : "") +
    `</section>`
  );
}
