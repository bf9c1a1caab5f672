/**
 * Many scenarios, as `meshsim run` runs them: every file loaded and validated before the first
 * starts (a typo in the third file does not cost the first two runs), filtered by tag, each run
 * on one or both data planes (both: compared, a significant disagreement fails the run), `bail`
 * after the first failure, Ctrl-C handled, and one exit code. The CLI only parses arguments
 * and calls this.
 */
import { InvalidInputError, MeshsimError, type InputProblem } from "../common/errors.ts";
import { compareDataPlanes } from "./assert/differential.ts";
import { watchParent } from "./parent-watch.ts";
import type { Reporter, RunScenariosResult } from "./report/reporter.ts";
import type { RunSummary } from "./report/summary.ts";
import { runScenario } from "./runner.ts";
import { closeEngine } from "./runtime/containers/engine.ts";
import { isScenarioFile, loadScenario } from "./scenario/loader.ts";
import type { TemplateValue } from "./scenario/template.ts";
import type { DataPlane, Scenario } from "./scenario/types.ts";

export interface RunScenariosOptions {
  /** Only scenarios with any of these tags (default: all). */
  tags?: readonly string[];
  /** `vars:` overrides for every scenario. */
  vars?: Readonly<Record<string, TemplateValue>>;
  /** `both` runs each scenario on meshsim and on Envoy and compares them (default: each scenario's own choice). */
  dataPlane?: DataPlane | "both";
  backend?: string;
  /** Stop after the first scenario that fails. */
  bail?: boolean;
  /** See RunOptions.failFast (default true). */
  failFast?: boolean;
  /** Report folders go under it (default `reports`). */
  outDir?: string;
  reporters: readonly Reporter[];
  /** Stop on SIGINT/SIGTERM, and when the process that started this one is gone (the CLI does). */
  handleSignals?: boolean;
  signal?: AbortSignal;
}

export type { RunScenariosResult } from "./report/reporter.ts";

export async function runScenarios(files: readonly string[], options: RunScenariosOptions): Promise<RunScenariosResult> {
  const scenarios = await loadAll(files.filter(isScenarioFile), options.vars ?? {}, options.tags ?? []);
  if (scenarios.length === 0) {
    throw new MeshsimError("INVALID_INPUT", options.tags?.length ? `no scenario in ${files.length} file(s) has tag ${options.tags.join(" or ")}` : "name at least one scenario file or folder");
  }
  const dataPlanes: Array<DataPlane | undefined> = options.dataPlane === "both" ? ["meshsim", "envoy"] : [options.dataPlane];
  const reporters = options.reporters;
  const reportFiles = reporters.flatMap((r) => r.files ?? []);
  const outDir = options.outDir ?? "reports";
  const each = async <K extends keyof Reporter>(hook: K, call: (r: Reporter) => unknown): Promise<void> => {
    for (const r of reporters) if (r[hook]) await call(r);
  };

  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  const onSignal = () => {
    process.stderr.write("\nmeshsim: interrupted, stopping every process...\n");
    abort();
  };
  const stopWatching = options.handleSignals ? watchParent(onSignal) : () => undefined;
  if (options.handleSignals) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }

  const summaries: RunSummary[] = [];
  let disagreements = 0;
  await each("onRunStart", (r) => r.onRunStart!(scenarios));
  try {
    for (const scenario of scenarios) {
      const pair: Array<RunSummary & { reportDir?: string }> = [];
      for (const dataPlane of dataPlanes) {
        if (controller.signal.aborted) break;
        await each("onScenarioStart", (r) => r.onScenarioStart!(scenario, dataPlane));
        const { reportDir, ...summary } = await runScenario(scenario, {
          ...(dataPlane !== undefined && { dataPlane }),
          outDir,
          // The folder (with its logs) is made here; each reporter writes its own files into it.
          reporters: [],
          ...(reportFiles.length === 0 ? { noReports: true } : {}),
          signal: controller.signal,
          ...(options.backend !== undefined ? { backend: options.backend } : {}),
          ...(options.failFast === false ? { failFast: false } : {}),
          onEvent: (e) => {
            for (const r of reporters) r.onEvent?.(e);
          },
        });
        summaries.push(summary);
        pair.push(reportDir !== undefined ? { ...summary, reportDir } : summary);
        const report = reportDir !== undefined ? { dir: reportDir, files: reportFiles } : undefined;
        await each("onScenarioEnd", (r) => r.onScenarioEnd!(summary, report));
      }
      if (pair.length === 2) {
        const [meshsim, envoy] = pair as [RunSummary & { reportDir?: string }, RunSummary & { reportDir?: string }];
        const findings = meshsim.unsupported || envoy.unsupported ? [] : compareDataPlanes(meshsim, envoy);
        // A significant disagreement fails the gate even when both runs passed.
        if (findings.length > 0) disagreements++;
        const written: string[] = [];
        await each("onComparison", async (r) => {
          const path = await r.onComparison!(meshsim, envoy, findings, outDir);
          if (path) written.push(path);
        });
        for (const path of written) await each("onNote", (r) => r.onNote!(`comparison: ${path}`));
      }
      if (controller.signal.aborted) break;
      if (options.bail && pair.some((s) => !s.passed)) {
        const ran = summaries.length / dataPlanes.length;
        if (scenarios.length > ran) await each("onNote", (r) => r.onNote!(`--bail: stopping after ${scenario.metadata.name}; ${scenarios.length - ran} scenario(s) not run`));
        break;
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    options.signal?.removeEventListener("abort", abort);
    stopWatching();
    await closeEngine();
  }
  const planned = scenarios.length * dataPlanes.length;
  const result: RunScenariosResult = { summaries, planned, exitCode: exitCode(summaries, planned, disagreements, controller.signal.aborted) };
  await each("onRunEnd", (r) => r.onRunEnd!(result));
  return result;
}

function exitCode(summaries: readonly RunSummary[], planned: number, disagreements: number, aborted: boolean): number {
  if (aborted) return 130;
  if (summaries.some((s) => s.error !== undefined || s.unsupported !== undefined)) return 2;
  return summaries.every((s) => s.passed) && summaries.length === planned && disagreements === 0 ? 0 : 1;
}

/** Loads every scenario (all problems at once), then keeps those with one of `tags`. */
async function loadAll(files: readonly string[], vars: Readonly<Record<string, TemplateValue>>, tags: readonly string[]): Promise<Scenario[]> {
  const problems: InputProblem[] = [];
  const scenarios: Scenario[] = [];
  for (const file of files) {
    try {
      scenarios.push(await loadScenario(file, { vars }));
    } catch (err) {
      if (err instanceof InvalidInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return tags.length === 0 ? scenarios : scenarios.filter((s) => s.metadata.tags.some((t) => tags.includes(t)));
}
