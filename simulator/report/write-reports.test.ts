import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeReports } from "./write-reports.ts";
import { runSummary } from "./test-summary.ts";

describe("writeReports", () => {
  it("writes summary.json (round-trips), junit.xml and report.html into a new folder", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "meshsim-report-")), "run-1");
    const summary = runSummary();
    const paths = await writeReports(summary, dir);
    expect(paths).toEqual({ json: join(dir, "summary.json"), junit: join(dir, "junit.xml"), html: join(dir, "report.html") });
    expect(JSON.parse(readFileSync(paths.json!, "utf8"))).toEqual(summary);
    expect(readFileSync(paths.junit!, "utf8")).toMatch(/^<\?xml/);
    expect(readFileSync(paths.html!, "utf8")).toMatch(/^<!DOCTYPE html>/);
  });
});
