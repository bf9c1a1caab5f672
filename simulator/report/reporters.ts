/**
 * Reporters by name, so `--reporter` is checked against a closed list: `console` prints live
 * progress and the summary; `json`, `junit` and `html` write files into each run's folder.
 */
import { FILE_REPORTERS, type FileReporterName } from "./write-reports.ts";

export const REPORTER_NAMES = ["console", ...(Object.keys(FILE_REPORTERS) as FileReporterName[])] as const;
export type ReporterName = "console" | FileReporterName;

export function isReporterName(name: string): name is ReporterName {
  return (REPORTER_NAMES as readonly string[]).includes(name);
}

export function isFileReporter(name: ReporterName): name is FileReporterName {
  return name in FILE_REPORTERS;
}
