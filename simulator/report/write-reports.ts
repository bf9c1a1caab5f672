/** Writes a run's report files into one folder, by reporter name. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import type { RunSummary } from "./summary.ts";

/** File reporters: each renders one file from the summary. */
export const FILE_REPORTERS = {
  json: { file: "summary.json", render: (s: RunSummary) => `${JSON.stringify(s, null, 2)}\n` },
  junit: { file: "junit.xml", render: renderJUnit },
  html: { file: "report.html", render: renderHtml },
} as const satisfies Record<string, { file: string; render(summary: RunSummary): string }>;

export type FileReporterName = keyof typeof FILE_REPORTERS;
export const DEFAULT_FILE_REPORTERS: readonly FileReporterName[] = ["json", "junit", "html"];

export type ReportPaths = Partial<Record<FileReporterName, string>>;

export async function writeReports(summary: RunSummary, outDir: string, reporters: readonly FileReporterName[] = DEFAULT_FILE_REPORTERS): Promise<ReportPaths> {
  await mkdir(outDir, { recursive: true });
  const paths: ReportPaths = {};
  for (const name of reporters) {
    const reporter = FILE_REPORTERS[name];
    const path = join(outDir, reporter.file);
    await writeFile(path, reporter.render(summary));
    paths[name] = path;
  }
  return paths;
}
