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
    expect(html).toContain("<td>timeout</td><td class=\"num\">12</td>");
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
    const profile = mkdtempSync(join(tmpdir(), "meshsim-chromium-"));
    const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`];
    try {
      const dom = spawnSync(chromium!, [...flags, "--dump-dom", pathToFileURL(page).href], { encoding: "utf8", timeout: 60_000 });
      expect(dom.status, dom.stderr).toBe(0);
      const svgs = [...dom.stdout.matchAll(/<svg class="chart"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
      expect(svgs.length).toBe(4); // latency, requests, split, connection events
      for (const svg of svgs) expect(svg).toMatch(/<(path|rect) [^>]*(d="M[\d.]+,[\d.]+ L|height="[1-9])/);
      expect(dom.stdout).toContain('data-passed="false"');

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
