/**
 * The built-in reporters by name: `console` prints progress and summaries; `json`, `junit` and
 * `html` each write one file into every scenario's report folder (html also writes the
 * comparison page of a `--data-plane both` run).
 */
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { writeComparison } from "./comparison-html.ts";
import { renderConsoleSummary, renderDataPlaneComparison, renderRunTable } from "./console.ts";
import type { Reporter } from "./reporter.ts";
import { FILE_REPORTERS, type FileReporterName } from "./write-reports.ts";

export const REPORTER_NAMES = ["console", ...(Object.keys(FILE_REPORTERS) as FileReporterName[])] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

export function isReporterName(name: string): name is ReporterName {
  return (REPORTER_NAMES as readonly string[]).includes(name);
}

/** Prints to `out` (stdout): a line per scenario and step, live progress on a TTY, the summaries. */
export function consoleReporter(options: { quiet?: boolean; out?: NodeJS.WritableStream & { isTTY?: boolean } } = {}): Reporter {
  const out = options.out ?? process.stdout;
  const quiet = options.quiet === true;
  const live = !quiet && out.isTTY === true;
  const say = (text: string) => out.write(text);
  return {
    name: "console",
    onScenarioStart(scenario, dataPlane) {
      if (!quiet) say(`▶ ${scenario.file}${dataPlane !== undefined ? ` on ${dataPlane}` : ""}\n`);
    },
    onEvent(e) {
      if (quiet) return;
      if (e.type === "step-start") say(`  • ${e.step.name}\n`);
      if (e.type === "progress" && live) say(`\r\x1b[K    ${e.step}: ${e.sent} sent, ${e.completed} done, ${e.errors} errors, ${(e.elapsedMs / 1000).toFixed(0)}s`);
      if (e.type === "step-end" && live) say("\r\x1b[K");
    },
    onScenarioEnd(summary, report) {
      say(renderConsoleSummary(summary));
      if (report) say(`reports: ${report.dir}/ (${report.files.join(", ")})\n`);
    },
    onComparison(meshsim, envoy, findings) {
      say(renderDataPlaneComparison(meshsim, envoy, findings));
      return undefined;
    },
    onNote(text) {
      say(`${text}\n`);
    },
    onRunEnd(result) {
      if (result.summaries.length > 1) say(renderRunTable(result.summaries, result.planned));
    },
  };
}

/** One of the file reporters (json, junit, html). */
export function fileReporter(name: FileReporterName): Reporter {
  const { file, render } = FILE_REPORTERS[name];
  return {
    name,
    files: [file],
    async onScenarioEnd(summary, report) {
      if (report) await writeFile(join(report.dir, file), render(summary));
    },
    ...(name === "html" && {
      onComparison: (meshsim, envoy, findings, outDir) => writeComparison(meshsim, envoy, findings, outDir),
    }),
  };
}

/** A built-in reporter by name. */
export function builtInReporter(name: ReporterName, options: { quiet?: boolean } = {}): Reporter {
  return name === "console" ? consoleReporter(options) : fileReporter(name);
}
