export type { RunSummary, StepSummary } from "./summary.ts";
export { stepKind } from "./summary.ts";
export { writeReports, type ReportPaths } from "./write-reports.ts";
export { renderJUnit } from "./junit.ts";
export { renderConsoleSummary, shouldUseColor, type ConsoleOptions } from "./console.ts";
