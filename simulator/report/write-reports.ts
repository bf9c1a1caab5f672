/** Writes a run's report files into one folder. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderJUnit } from "./junit.ts";
import type { RunSummary } from "./summary.ts";

export interface ReportPaths {
  summary: string;
  junit: string;
}

export async function writeReports(summary: RunSummary, outDir: string): Promise<ReportPaths> {
  await mkdir(outDir, { recursive: true });
  const paths = { summary: join(outDir, "summary.json"), junit: join(outDir, "junit.xml") };
  await writeFile(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(paths.junit, renderJUnit(summary));
  return paths;
}
