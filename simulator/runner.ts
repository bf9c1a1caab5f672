import { join } from "node:path";
import { InvalidInputError, MeshsimError, type InputProblem } from "../common/errors.ts";
import { evaluateExpectation } from "./assert/evaluate.ts";
import type { AssertionResult } from "./assert/assertion-result.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario, ScenarioResource, Step } from "./scenario/types.ts";
import { writeReports } from "./report/write-reports.ts";
import type { RunSummary, StepSummary } from "./report/summary.ts";
import { upProcessTopology, type RunningTopology } from "./runtime/process-backend.ts";
import { toTopologySpec } from "./scenario-topology.ts";
import { validateScenarioResources } from "./scenario-resources.ts";
import { driverFor } from "./traffic/drivers.ts";
import { runTraffic } from "./traffic/executor.ts";
import type { TrafficResult } from "./traffic/traffic-result.ts";
import { MESHSIM_VERSION } from "../common/version.ts";

export interface RunOptions {
  /** Reports go to `<outDir>/<scenario>-<timestamp>/`; default `reports`. */
  outDir?: string;
  /** Exact folder for this run's reports (overrides outDir). */
  runDir?: string;
  /** Don't write report files. */
  noReports?: boolean;
  /** Progress lines for a person watching. */
  onEvent?: (event: RunEvent) => void;
  /** Aborts the run: the topology is torn down and the summary marks the step as aborted. */
  signal?: AbortSignal;
}

export type RunEvent =
  | { type: "topology-up"; topology: RunningTopology }
  | { type: "step-start"; step: Step }
  | { type: "step-end"; step: StepSummary }
  | { type: "progress"; step: string; sent: number; completed: number; errors: number; elapsedMs: number };

/**
 * Runs one scenario end to end: validate, bring the topology up, apply the scenario's resources,
 * run each step, evaluate expectations, tear everything down (always), write reports.
 * Invalid input throws InvalidInputError before anything starts.
 */
export async function runScenario(scenarioOrFile: Scenario | string, options: RunOptions = {}): Promise<RunSummary & { reportDir?: string }> {
  const scenario = typeof scenarioOrFile === "string" ? await loadScenario(scenarioOrFile) : scenarioOrFile;
  const problems = validateScenarioResources(scenario);
  if (problems.length > 0) throw new InvalidInputError(problems);

  const started = Date.now();
  const runDir = options.runDir ?? join(options.outDir ?? "reports", `${scenario.metadata.name}-${timestamp(new Date(started))}`);
  const steps: StepSummary[] = [];
  let topology: RunningTopology | undefined;
  let setupError: string | undefined;
  try {
    topology = await upProcessTopology(toTopologySpec(scenario), {
      logDir: options.noReports ? undefined : join(runDir, "logs"),
      ownDestinationRules: destinationRuleHosts(scenario),
    });
    options.onEvent?.({ type: "topology-up", topology });
    if (scenario.resources.length > 0) await topology.controlPlane.apply(scenario.resources.map((r) => r.object));
    await topology.controlPlane.waitForAcked(topology.proxyIds(), 15_000);
    for (const step of scenario.steps) {
      if (options.signal?.aborted) break;
      options.onEvent?.({ type: "step-start", step });
      const summary = await runStep(step, topology, options);
      steps.push(summary);
      options.onEvent?.({ type: "step-end", step: summary });
    }
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    setupError = err instanceof Error ? err.message : String(err);
    if (!(err instanceof MeshsimError)) setupError = `${(err as Error).stack ?? setupError}`;
  } finally {
    await topology?.down();
  }
  if (options.signal?.aborted && setupError === undefined) setupError = "interrupted before the scenario finished";

  const summary: RunSummary = {
    tool: { name: "meshsim", version: MESHSIM_VERSION },
    scenario: { name: scenario.metadata.name, file: scenario.file, tags: scenario.metadata.tags },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    passed: setupError === undefined && steps.length === scenario.steps.length && steps.every((s) => s.passed),
    ...(setupError !== undefined ? { error: setupError } : {}),
    steps,
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, backend: "process" },
  };
  if (options.noReports) return summary;
  await writeReports(summary, runDir);
  return { ...summary, reportDir: runDir };
}

async function runStep(step: Step, topology: RunningTopology, options: RunOptions): Promise<StepSummary> {
  const begin = Date.now();
  const traffic: TrafficResult[] = [];
  const expectations: AssertionResult[] = [];
  let error: string | undefined;
  try {
    for (const action of step.actions) {
      switch (action) {
        case "apply":
          await topology.controlPlane.apply(step.apply.map((r) => r.object));
          break;
        case "delete":
          for (const r of step.delete) await topology.controlPlane.delete(r.kind, r.namespace ?? "default", r.name);
          break;
        case "waitFor":
          if (step.waitFor?.acked) await topology.controlPlane.waitForAcked(topology.proxyIds(), step.waitFor.timeoutMs);
          break;
        case "sleep":
          await new Promise((r) => setTimeout(r, step.sleepMs ?? 0));
          break;
        case "traffic": {
          const spec = step.traffic!;
          const result = await runTraffic({
            step: step.name,
            from: spec.from,
            to: spec.to,
            driver: driverFor(spec.service.protocol),
            address: topology.addressFor(spec.from, spec.to),
            call: spec.call ?? { method: "sayHello", args: ["meshsim"] },
            executor:
              spec.executor.type === "constant-arrival-rate"
                ? { type: "constant-arrival-rate", rate: spec.executor.ratePerSecond, count: spec.executor.count, durationMs: spec.executor.durationMs }
                : { type: "constant-concurrency", concurrency: spec.executor.concurrency, count: spec.executor.count, durationMs: spec.executor.durationMs },
            connections: spec.connections,
            timeoutMs: spec.timeoutMs,
            driverOptions: { transport: spec.service.transport, protocol: spec.service.protocolVariant },
            onProgress: (p) => options.onEvent?.({ type: "progress", step: step.name, ...p }),
            signal: options.signal,
          });
          traffic.push(result);
          break;
        }
      }
    }
    const observed = traffic[traffic.length - 1];
    for (const expectation of step.expect) {
      if (!observed) {
        expectations.push({ name: expectation.kind, passed: false, message: `${expectation.kind}: the step has no traffic to check`, details: {} });
        continue;
      }
      expectations.push(evaluateExpectation(expectation, observed));
    }
    if (options.signal?.aborted) error = "interrupted";
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  return {
    name: step.name,
    actions: step.actions,
    durationMs: Date.now() - begin,
    passed: error === undefined && expectations.every((e) => e.passed),
    ...(error !== undefined ? { error } : {}),
    traffic,
    expectations,
  };
}

function destinationRuleHosts(scenario: Scenario): Set<string> {
  const hosts = new Set<string>();
  const all: ScenarioResource[] = [...scenario.resources, ...scenario.steps.flatMap((s) => s.apply)];
  for (const r of all) {
    if (r.kind !== "DestinationRule") continue;
    const host = (r.object.spec as { host?: unknown } | undefined)?.host;
    if (typeof host === "string") hosts.add(host);
  }
  return hosts;
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, "-").replace("Z", "");
}

export type { InputProblem };
