/**
 * What every benchmark writes: `reports/bench/<bench>-<time>.json` (its figures, plus the tables
 * and latency curves it printed) and `reports/bench/index.html`, one page with every run found
 * there, newest first, so that two runs can be read side by side without a tool.
 *
 *   node --import tsx bench/bench-report.ts [folder]   # rebuilds the page
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { esc } from "../simulator/report/html.ts";
import { lineChart, PALETTE } from "../simulator/report/svg-chart.ts";

export const BENCH_REPORTS = "reports/bench";

/** A table as printed: a header and rows of cells. */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/** Latency (or any figure) against offered load, one series per path. */
export interface BenchCurve {
  title: string;
  xUnit: string;
  yLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}

/** The part of a benchmark's JSON the page shows; the rest of the file is the bench's own figures. */
export interface BenchPresentation {
  bench: string;
  title: string;
  startedAt: string;
  tables: BenchTable[];
  curves?: BenchCurve[];
}

/** Writes one run's JSON and rebuilds the page; returns the JSON file's path. */
export function writeBenchReport(presentation: BenchPresentation, figures: object, folder = BENCH_REPORTS): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${presentation.bench}-${presentation.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ ...figures, presentation }, null, 2));
  writeBenchIndex(folder);
  return file;
}

/** Rebuilds `index.html` from every JSON in `folder` that carries a presentation. */
export function writeBenchIndex(folder = BENCH_REPORTS): string {
  const runs: Array<BenchPresentation & { file: string }> = [];
  for (const name of existsSync(folder) ? readdirSync(folder) : []) {
    if (!name.endsWith(".json")) continue;
    try {
      const parsed = JSON.parse(readFileSync(join(folder, name), "utf8")) as { presentation?: BenchPresentation };
      if (parsed.presentation !== undefined) runs.push({ ...parsed.presentation, file: name });
    } catch {
      // Not a benchmark report (or half written): not on the page.
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const page = renderBenchIndex(runs);
  const out = join(folder, "index.html");
  writeFileSync(out, page);
  return out;
}

export function renderBenchIndex(runs: ReadonlyArray<BenchPresentation & { file: string }>): string {
  const sections = runs.map((run) => {
    const tables = run.tables.map(renderTable).join("");
    const curves = (run.curves ?? []).map(renderCurve).join("");
    return `<section><h2>${esc(run.title)}</h2><p class="meta">${esc(run.bench)} · ${esc(run.startedAt)} · <a href="${esc(run.file)}">${esc(run.file)}</a></p>${tables}${curves ? `<div class="charts">${curves}</div>` : ""}</section>`;
  });
  const index = runs.map((run) => `<li>${esc(run.startedAt)} — ${esc(run.bench)}: ${esc(run.title)}</li>`).join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>meshsim benchmarks</title><style>${STYLE}</style></head><body><h1>meshsim benchmarks</h1><p>${runs.length} run(s), newest first. Compare rows of one run; numbers from different runs share nothing but the machine.</p><ul>${index}</ul>${sections.join("")}</body></html>\n`;
}

function renderTable(table: BenchTable): string {
  const head = table.columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td${typeof cell === "number" ? ' class="num"' : ""}>${esc(String(cell))}</td>`).join("")}</tr>`).join("");
  return `<h3>${esc(table.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderCurve(curve: BenchCurve): string {
  const xMax = Math.max(1, ...curve.series.flatMap((s) => s.points.map((p) => p[0])));
  return lineChart({
    title: curve.title,
    yLabel: curve.yLabel,
    xUnit: curve.xUnit,
    xMax,
    series: curve.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, points: [...s.points].sort((a, b) => a[0] - b[0]) })),
  });
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#111}h2{margin-top:32px;border-top:1px solid #ddd;padding-top:16px}.meta{color:#555}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:flex;flex-wrap:wrap;gap:16px}.chart .grid{stroke:#eee}.chart .axis{stroke:#999}.chart .series{fill:none;stroke-width:2}.chart text{font-size:11px;fill:#333}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${writeBenchIndex(process.argv[2] ?? BENCH_REPORTS)}`);
}
