import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BenchPresentation, writeBenchReport } from "./bench-report.ts";

const run = (startedAt: string, p99At3000: number): BenchPresentation => ({
  bench: "thrift",
  title: `thrift run at ${startedAt}`,
  startedAt,
  tables: [{ title: "runs", columns: ["run", "req/s"], rows: [["meshsim, closed loop", 8066]] }],
  curves: [
    {
      title: "added p99",
      xUnit: "/s",
      yLabel: "ms",
      series: [
        {
          name: "meshsim",
          points: [
            [3000, p99At3000],
            [500, 0.4],
          ],
        },
        {
          name: "envoy",
          points: [
            [500, -0.5],
            [3000, 8.4],
          ],
        },
      ],
    },
  ],
});

describe("benchmark reports", () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
  });

  it("keeps each run's JSON and one page with every run, newest first, its tables and curves", () => {
    const folder = mkdtempSync(join(tmpdir(), "meshsim-bench-"));
    folders.push(folder);
    const older = writeBenchReport(run("2026-12-06T10:00:00.000Z", 3.5), { rate: 1 }, folder);
    writeFileSync(join(folder, "notes.json"), JSON.stringify({ not: "a benchmark" }));
    writeBenchReport(run("2026-12-06T11:00:00.000Z", 2.9), { rate: 2 }, folder);

    expect(JSON.parse(readFileSync(older, "utf8"))).toMatchObject({ rate: 1, presentation: { bench: "thrift" } });
    const page = readFileSync(join(folder, "index.html"), "utf8");
    const sections = page.split("<section>").slice(1);
    expect(sections.map((s) => /<h2>(.*?)<\/h2>/.exec(s)![1])).toEqual(["thrift run at 2026-12-06T11:00:00.000Z", "thrift run at 2026-12-06T10:00:00.000Z"]);
    expect(sections[0]).toContain('<td class="num">8066</td>');
    // One line per series, through its points in rate order, with the rate unit on the axis.
    const paths = [...sections[0]!.matchAll(/<path class="series" d="([^"]+)"/g)].map((m) => m[1]!.split(" ").length);
    expect(paths).toEqual([2, 2]);
    expect(sections[0]).toContain("meshsim 3000/s: 2.9");
    expect(sections[1]).toContain("meshsim 3000/s: 3.5");
    expect(page).not.toContain("a benchmark");
    // A negative difference (the proxy row faster than direct in one round) stays inside the plot.
    const ys = [...sections[0]!.matchAll(/<circle cx="[^"]+" cy="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(4);
    for (const y of ys) expect(y).toBeLessThanOrEqual(220 - 36);
  });
});
