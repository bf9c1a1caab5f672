/**
 * One interface for everything that reports a run, as vitest's reporters: the console, the
 * built-in files (json, junit, html) and a user's own (`--reporter ./my-reporter.js`, whose
 * default export is a Reporter or a function returning one). Every hook is optional.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { MeshsimError } from "../../common/errors.ts";
import type { DifferentialFinding } from "../assert/differential.ts";
import type { RunEvent } from "../runner.ts";
import type { DataPlane, Scenario } from "../scenario/types.ts";
import type { RunSummary } from "./summary.ts";

export interface RunScenariosResult {
  summaries: RunSummary[];
  /** 0 every scenario passed, 1 an expectation failed or the data planes disagreed, 2 a scenario could not run, 130 interrupted. */
  exitCode: number;
  /** How many scenarios were selected (each runs once per data plane). */
  planned: number;
}

export interface ReportFolder {
  dir: string;
  /** What the reporters write into it (`summary.json`, …). */
  files: readonly string[];
}

export interface Reporter {
  readonly name: string;
  /** The files this reporter writes into each scenario's report folder (a run with none writes no folder). */
  readonly files?: readonly string[];
  onRunStart?(scenarios: readonly Scenario[]): void | Promise<void>;
  onScenarioStart?(scenario: Scenario, dataPlane: DataPlane | undefined): void | Promise<void>;
  onEvent?(event: RunEvent): void;
  /** After each scenario; `report` is its report folder and the files reporters write there, when any do. */
  onScenarioEnd?(summary: RunSummary, report: ReportFolder | undefined): void | Promise<void>;
  /** The same scenario on meshsim and on Envoy; returns the path of a file it wrote, if any. */
  onComparison?(
    meshsim: RunSummary & { reportDir?: string },
    envoy: RunSummary & { reportDir?: string },
    findings: readonly DifferentialFinding[],
    outDir: string,
  ): string | undefined | Promise<string | undefined>;
  /** A line of news for people (a file written, scenarios skipped by --bail). */
  onNote?(text: string): void;
  onRunEnd?(result: RunScenariosResult): void | Promise<void>;
}

/** A user's reporter module: its default export is a Reporter, or a function that returns one. */
export async function loadReporter(path: string): Promise<Reporter> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (err) {
    throw new MeshsimError("INVALID_INPUT", `--reporter ${path}: cannot be loaded: ${(err as Error).message}`);
  }
  const exported = typeof mod.default === "function" ? (mod.default as () => unknown)() : mod.default;
  const reporter = (await exported) as Partial<Reporter> | undefined;
  if (!reporter || typeof reporter !== "object") throw new MeshsimError("INVALID_INPUT", `--reporter ${path}: export a Reporter (or a function returning one) as default`);
  return { name: path, ...reporter } as Reporter;
}
