/**
 * report.html: rendered from a summary, self-contained, and checked in a real headless Chromium:
 * it loads from file://, every chart has drawn marks, and a screenshot is written for people to
 * look at (reports/html-report-check/screenshot.png).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { chromiumPath } from "../doctor.ts";
import { renderHtml } from "./html.ts";
import { renderSummarySchemaJson, SUMMARY_SCHEMA_FILE, validateSummary } from "./summary-schema.ts";
import { richSummary, runSummary } from "./test-summary.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("summary.json schema", () => {
  it("is committed as summary.schema.json", () => {
    expect(readFileSync(SUMMARY_SCHEMA_FILE, "utf8")).toBe(renderSummarySchemaJson());
  });

  it("accepts the summaries reports are tested with, and rejects a broken one", () => {
    expect(validateSummary(runSummary())).toEqual([]);
    expect(validateSummary(richSummary())).toEqual([]);
    expect(validateSummary({ ...runSummary(), passed: "yes" })).toEqual(["/passed must be boolean"]);
  });
});

describe("HTML report", () => {
  const html = renderHtml(richSummary());

  it("is self-contained: no external scripts, styles, fonts or images", () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
  });

  it("puts the verdict first and shows expectations, events, errors and the scenario text (escaped)", () => {
    const header = html.indexOf('<header class="fail" id="verdict" data-passed="false">');
    expect(header).toBeGreaterThan(0);
    expect(html.indexOf('<span class="verdict">FAILED</span>')).toBeGreaterThan(header);
    expect(html).toContain("success rate: 2988/3000 (99.60%) &lt; 100%; errors: timeout=12 — FAIL");
    expect(html).toContain("latency 80ms±0ms → hello-v1-0");
    expect(html).toContain('<td>timeout</td><td class="num">12</td>');
    expect(html).toContain("# &lt;not a tag&gt; &amp; friends");
    expect(html).toContain("vars: stride=25");
    expect(html).toContain("Destination split per second (by version)");
    expect(html).toContain("Connection events per second");
  });

  it("renders in headless Chromium: charts have drawn marks, and a screenshot is taken", () => {
    const chromium = chromiumPath();
    expect(chromium, "chromium not found: run `meshsim doctor --fix` or apt-get install -y chromium").toBeDefined();
    const outDir = join(root, "reports", "html-report-check");
    mkdirSync(outDir, { recursive: true });
    const page = join(outDir, "report.html");
    writeFileSync(page, html);
    // The same page plus a probe that asks the browser what it laid out: each chart's marks
    // (lines, areas, bars) with their rendered boxes, visibility and paint.
    const probed = join(outDir, "report-probed.html");
    writeFileSync(probed, html.replace("</body>", `<script>${CHART_PROBE}</script></body>`));
    const profile = mkdtempSync(join(tmpdir(), "meshsim-chromium-"));
    const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`];
    try {
      const dom = spawnSync(chromium!, [...flags, "--dump-dom", pathToFileURL(probed).href], { encoding: "utf8", timeout: 60_000 });
      expect(dom.status, dom.stderr).toBe(0);
      expect(dom.stdout).toContain('data-passed="false"');
      const measured = /data-charts="([^"]*)"/.exec(dom.stdout)?.[1];
      expect(measured, "the probe did not run").toBeDefined();
      const charts = JSON.parse(measured!.replaceAll("&quot;", '"')) as Array<{ title: string; width: number; height: number; marks: number; painted: number; area: number }>;
      expect(charts.map((c) => c.title)).toHaveLength(4); // latency, requests, split, connection events
      for (const c of charts) {
        expect(c.width, c.title).toBeGreaterThan(100); // the chart itself has room on the page
        expect(c.painted, `${c.title}: visible, painted marks`).toBeGreaterThan(0);
        // The marks cover real ground inside the chart: not collapsed to a point or a line.
        expect(c.area, `${c.title}: area covered by its marks`).toBeGreaterThan(0.02 * c.width * c.height);
      }

      const shot = join(outDir, "screenshot.png");
      rmSync(shot, { force: true });
      const capture = spawnSync(chromium!, [...flags, `--screenshot=${shot}`, "--window-size=1280,2000", "--hide-scrollbars", pathToFileURL(page).href], { encoding: "utf8", timeout: 60_000 });
      expect(capture.status, capture.stderr).toBe(0);
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
      expect(statSync(shot).size).toBeGreaterThan(50_000); // a blank page is a few kB
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

/**
 * Runs in the page: for each chart, its box and the union of its marks' rendered boxes, counting
 * only marks the browser shows (displayed, not transparent, with a fill or stroke). Written to
 * body[data-charts] so --dump-dom carries it out.
 */
const CHART_PROBE = `
const out = [...document.querySelectorAll("svg.chart")].map((svg) => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll("path.series, path.area, rect")];
  let painted = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const m of marks) {
    const style = getComputedStyle(m);
    const paint = (style.fill !== "none" && style.fillOpacity !== "0") || (style.stroke !== "none" && style.strokeOpacity !== "0");
    const r = m.getBoundingClientRect();
    if (style.display === "none" || style.visibility === "hidden" || style.opacity === "0" || !paint || (r.width === 0 && r.height === 0)) continue;
    painted++;
    x0 = Math.min(x0, r.left); y0 = Math.min(y0, r.top); x1 = Math.max(x1, r.right); y1 = Math.max(y1, r.bottom);
  }
  return { title: svg.getAttribute("aria-label"), width: box.width, height: box.height, marks: marks.length, painted, area: painted ? (x1 - x0) * (y1 - y0) : 0 };
});
document.body.dataset.charts = JSON.stringify(out);
`;
