/**
 * comparison.html for `meshsim run --data-plane both`: the scenario's two runs side by side —
 * per step, pass/fail and what clients saw on meshsim's proxy and on Envoy — then the
 * differential findings with the side to suspect, and links to each run's own report.
 * Self-contained like report.html.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { DifferentialFinding } from "../assert/differential.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { CSS, esc } from "./html.ts";
import { runOutcome, type RunSummary, type StepSummary } from "./summary.ts";

function seen(t: TrafficResult | undefined): string {
  if (!t) return "";
  const versions = Object.entries(t.byIdentity.version)
    .map(([v, n]) => `${v}=${n}`)
    .join(" ");
  const errors = Object.entries(t.errors)
    .map(([k, n]) => `${k}=${n}`)
    .join(" ");
  return `${t.successes}/${t.requests} ok${versions ? ` · ${versions}` : ""}${errors ? ` · errors ${errors}` : ""}`;
}

function cell(step: StepSummary | undefined): string {
  if (!step) return `<td class="muted">not run</td>`;
  return `<td><span class="badge ${step.passed ? "pass" : "fail"}">${step.passed ? "pass" : "fail"}</span> ${esc(step.traffic.map(seen).join("; "))}</td>`;
}

export function renderComparisonHtml(meshsim: RunSummary & { reportDir?: string }, envoy: RunSummary & { reportDir?: string }, findings: readonly DifferentialFinding[], dir: string): string {
  const both = meshsim.passed && envoy.passed;
  const out: string[] = [];
  out.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(meshsim.scenario.name)} · meshsim vs envoy</title><style>${CSS}</style></head><body>`);
  out.push(
    `<header class="${both ? "pass" : "fail"}"><h1>${esc(meshsim.scenario.name)} · meshsim ${runOutcome(meshsim)} · envoy ${runOutcome(envoy)}</h1><div class="meta">${esc(meshsim.scenario.file)} · the same scenario on both data planes</div></header><main>`,
  );
  const link = (s: { reportDir?: string }, label: string) => (s.reportDir ? `<a href="${esc(relative(dir, join(s.reportDir, "report.html")))}">${label} report</a>` : label);
  out.push(`<section class="step"><h2>Steps</h2><table><tr><th>step</th><th>${link(meshsim, "meshsim")}</th><th>${link(envoy, "envoy")}</th></tr>`);
  for (const [i, step] of meshsim.steps.entries()) out.push(`<tr><td>${esc(step.name)}</td>${cell(step)}${cell(envoy.steps[i])}</tr>`);
  out.push(`</table>`);
  if (envoy.unsupported) out.push(`<ul class="expect">${envoy.unsupported.map((u) => `<li class="na">${esc(u)}</li>`).join("")}</ul>`);
  out.push(`</section>`);
  if (!meshsim.unsupported && !envoy.unsupported) {
    out.push(`<section class="step"><h2>Differential check</h2>`);
    if (findings.length === 0) out.push(`<p>No significant difference in version split, success rate or error kinds.</p>`);
    else {
      out.push(
        `<ul class="expect">${findings.map((f) => `<li class="fail">${esc(f.step)}: ${esc(f.aspect)} differs (p=${f.p.toExponential(1)}): ${esc(f.message)} — ${esc(f.hint)}</li>`).join("")}</ul>`,
      );
    }
    out.push(`</section>`);
  }
  out.push(`</main></body></html>\n`);
  return out.join("\n");
}

/** Writes `<outDir>/<scenario>-both-<time>/comparison.html`; returns its path. */
export function writeComparison(meshsim: RunSummary & { reportDir?: string }, envoy: RunSummary & { reportDir?: string }, findings: readonly DifferentialFinding[], outDir: string): string {
  const dir = join(outDir, `${meshsim.scenario.name}-both-${meshsim.startedAt.replace(/[:.]/g, "-").replace("Z", "")}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "comparison.html");
  writeFileSync(file, renderComparisonHtml(meshsim, envoy, findings, dir));
  return file;
}
