import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { formatProblem, InvalidInputError, MeshsimError, type InputProblem } from "../common/errors.ts";
import { evaluateExpectation } from "./assert/evaluate.ts";
import { evaluateMetric, metricSource, type StatsSnapshot } from "./assert/metric.ts";
import { accessLogName, evaluateAccessLog } from "./assert/access-log.ts";
import { envoyLacksCounter } from "./runtime/sidecar-stats.ts";
import { evaluateConsistently, evaluateEventually } from "./assert/temporal.ts";
import { alreadyFailed, type LiveCounts } from "./assert/already-failed.ts";
import { formatMs } from "./scenario/units.ts";
import { allSteps } from "./scenario/steps.ts";
import type { TemplateValue } from "./scenario/template.ts";
import type { FileReporterName } from "./report/write-reports.ts";
import type { StepEvent } from "./report/summary.ts";
import { missingEnvironment } from "./runtime/environment.ts";
import type { AssertionResult } from "./assert/assertion-result.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { AccessLogCondition, Assertion, DataPlane, Expectation, FaultSpec, LinkSpec, MetricCondition, Scenario, ScenarioResource, Step, TrafficAssertion } from "./scenario/types.ts";
import { writeReports } from "./report/write-reports.ts";
import type { RunLog, RunSummary, StepSummary } from "./report/summary.ts";
import { ACCESS_LOG_SUFFIX, TRACES_SUFFIX } from "./runtime/sidecar-access-log.ts";
import { readSampledTrace } from "./report/sampled-trace.ts";
import { applyConfigSteps, configSteps } from "./config-steps.ts";
import { backendNamed, chooseBackend, type BackendName, type RunningTopology, type UpOptions } from "./runtime/backend.ts";
import { toTopologySpec } from "./scenario-topology.ts";
import { validateScenarioResources } from "./scenario-resources.ts";
import { unsupportedOnDataPlanes } from "./data-plane-support.ts";
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
  /** `vars:` overrides when the scenario is given as a file (like `--var name=value`). */
  vars?: Readonly<Record<string, TemplateValue>>;
  /** Report files to write (default: json, junit, html). */
  reporters?: readonly FileReporterName[];
  /** The sidecar for clients that do not name their own (`--data-plane`; default: the scenario's, else meshsim). */
  dataPlane?: DataPlane;
  /** Overrides `MESHSIM_BACKEND` and the scenario's `topology.backend` (like `--backend`). */
  backend?: string;
  /**
   * Stop a traffic step as soon as one of its expectations can no longer hold, and the scenario
   * with it (default true; `--no-fail-fast`).
   */
  failFast?: boolean;
}

export type RunEvent =
  | { type: "topology-up"; topology: RunningTopology }
  | { type: "step-start"; step: Step }
  | { type: "step-end"; step: StepSummary }
  | { type: "progress"; step: string; sent: number; completed: number; errors: number; elapsedMs: number };

/**
 * Brings a scenario's topology up and applies its `resources:` (no steps run), for `meshsim up`
 * and for tests that drive the mesh themselves. The caller owns the result: call `down()`.
 */
export async function upScenario(
  scenarioOrFile: Scenario | string,
  options: { vars?: Readonly<Record<string, TemplateValue>>; logDir?: string; dataPlane?: DataPlane; backend?: string; applySteps?: boolean } = {},
): Promise<RunningTopology> {
  const scenario = typeof scenarioOrFile === "string" ? await loadScenario(scenarioOrFile, { vars: options.vars }) : scenarioOrFile;
  const problems = validateScenarioResources(scenario);
  if (problems.length > 0) throw new InvalidInputError(problems);
  const unsupported = unsupportedOnDataPlanes(scenario, options.dataPlane);
  if (unsupported.length > 0) throw new InvalidInputError(unsupported);
  const missing = missingEnvironment(scenario, options.dataPlane);
  if (missing.length > 0) throw new MeshsimError("ENVIRONMENT", missing.join("\n"));
  const topology = await upTopology(scenario, chooseBackend(options.backend, scenario.topology.backend), options.dataPlane, options.logDir);
  try {
    if (scenario.resources.length > 0) await topology.controlPlane.apply(scenario.resources.map((r) => r.object));
    if (options.applySteps) await applyConfigSteps(configSteps(scenario), topology.controlPlane);
    await topology.controlPlane.waitForAcked(topology.proxyIds(), 15_000);
    return topology;
  } catch (err) {
    await topology.down();
    throw err;
  }
}

/**
 * Runs one scenario end to end: validate, bring the topology up, apply the scenario's resources,
 * run each step, evaluate expectations, tear everything down (always), write reports.
 * Invalid input throws InvalidInputError before anything starts.
 */
export async function runScenario(scenarioOrFile: Scenario | string, options: RunOptions = {}): Promise<RunSummary & { reportDir?: string }> {
  const scenario = typeof scenarioOrFile === "string" ? await loadScenario(scenarioOrFile, { vars: options.vars }) : scenarioOrFile;
  const problems = validateScenarioResources(scenario);
  if (problems.length > 0) throw new InvalidInputError(problems);
  const backend = chooseBackend(options.backend, scenario.topology.backend);
  const dataPlane = options.dataPlane ?? scenario.topology.dataPlane ?? "meshsim";
  // What the chosen data plane cannot do is reported, and nothing is started for it.
  const unsupported = unsupportedOnDataPlanes(scenario, options.dataPlane);
  const missing = unsupported.length > 0 ? [] : missingEnvironment(scenario, options.dataPlane);
  if (missing.length > 0) throw new MeshsimError("ENVIRONMENT", missing.join("\n"));

  const started = Date.now();
  const runDir = options.runDir ?? join(options.outDir ?? "reports", `${scenario.metadata.name}-${options.dataPlane !== undefined ? `${dataPlane}-` : ""}${timestamp(new Date(started))}`);
  const steps: StepSummary[] = [];
  let topology: RunningTopology | undefined;
  let setupError: string | undefined;
  let notRun: string[] = [];
  if (unsupported.length === 0) {
    try {
      topology = await upTopology(scenario, backend, options.dataPlane, options.noReports ? undefined : join(runDir, "logs"));
      options.onEvent?.({ type: "topology-up", topology });
      if (scenario.resources.length > 0) await topology.controlPlane.apply(scenario.resources.map((r) => r.object));
      await topology.controlPlane.waitForAcked(topology.proxyIds(), 15_000);
      for (const step of scenario.steps) {
        if (options.signal?.aborted) break;
        options.onEvent?.({ type: "step-start", step });
        const summary = await runStep(step, topology, options, started, (name) => trafficOf(steps, name));
        steps.push(summary);
        options.onEvent?.({ type: "step-end", step: summary });
        // Fail fast: later steps build on this one, and the scenario has failed already.
        if (summary.aborted !== undefined) {
          notRun = scenario.steps.slice(steps.length).map((s) => s.name);
          break;
        }
      }
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      setupError = err instanceof Error ? err.message : String(err);
      if (!(err instanceof MeshsimError)) setupError = `${(err as Error).stack ?? setupError}`;
    } finally {
      await topology?.down();
    }
  }
  if (options.signal?.aborted && setupError === undefined) setupError = "interrupted before the scenario finished";

  const summary: RunSummary = {
    tool: { name: "meshsim", version: MESHSIM_VERSION },
    scenario: {
      name: scenario.metadata.name,
      file: scenario.file,
      tags: scenario.metadata.tags,
      ...(scenario.metadata.description !== undefined ? { description: scenario.metadata.description } : {}),
      vars: scenario.vars,
      text: scenario.text,
    },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    passed: unsupported.length === 0 && setupError === undefined && steps.length === scenario.steps.length && steps.every((s) => s.passed),
    dataPlane,
    ...(unsupported.length > 0 ? { unsupported: unsupported.map(formatProblem) } : {}),
    ...(setupError !== undefined ? { error: setupError } : {}),
    steps,
    ...(notRun.length > 0 ? { notRun } : {}),
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, backend },
  };
  if (options.noReports) return summary;
  const logs = await keptLogs(runDir);
  if (logs.length > 0) summary.logs = logs;
  const trace = await readSampledTrace(join(runDir, "logs"));
  if (trace) summary.sampledTrace = trace;
  await writeReports(summary, runDir, options.reporters);
  return { ...summary, reportDir: runDir };
}

async function upTopology(scenario: Scenario, backend: BackendName, dataPlane: DataPlane | undefined, logDir: string | undefined): Promise<RunningTopology> {
  const options: UpOptions = {
    ...(logDir !== undefined ? { logDir } : {}),
    ownDestinationRules: destinationRuleHosts(scenario),
    ownTelemetry: bringsTelemetry(scenario),
    faultLinks: faultLinks(scenario),
  };
  return (await backendNamed(backend)).up(toTopologySpec(scenario, dataPlane), options);
}

/** What one step (and everything under it) observed while it ran. */
interface Collector {
  traffic: Array<{ result: TrafficResult; ids: ReadonlySet<string> }>;
  /** Epoch ms at which the last apply, delete or fault under this step finished. */
  lastChangeAt?: number;
}

/** The traffic of an earlier top-level step, for expectations that compare with one. */
function trafficOf(steps: readonly StepSummary[], name: string): readonly TrafficResult[] {
  return steps.find((s) => s.name === name)?.traffic ?? [];
}

interface RunContext {
  topology: RunningTopology;
  earlier: (step: string) => readonly TrafficResult[];
  options: RunOptions;
  runStart: number;
  events: StepEvent[];
  expectations: AssertionResult[];
  /** Epoch ms at which each step (by name) last finished its actions, for `accessLog.after`. */
  stepEnds: Map<string, number>;
}

async function runStep(step: Step, topology: RunningTopology, options: RunOptions, runStart: number, earlier: RunContext["earlier"]): Promise<StepSummary> {
  const begin = Date.now();
  const ctx: RunContext = { topology, earlier, options, runStart, events: [], expectations: [], stepEnds: new Map() };
  const collector: Collector = { traffic: [] };
  let error: string | undefined;
  try {
    await runNode(step, ctx, [collector], new Set(), true);
    if (options.signal?.aborted) error = "interrupted";
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const aborted = collector.traffic.find((t) => t.result.aborted !== undefined)?.result.aborted;
  return {
    name: step.name,
    actions: step.actions,
    durationMs: Date.now() - begin,
    passed: error === undefined && aborted === undefined && ctx.expectations.every((e) => e.passed),
    ...(error !== undefined ? { error } : {}),
    ...(aborted !== undefined ? { aborted: `stopped after ${aborted.sent} requests: ${aborted.reason}` } : {}),
    traffic: collector.traffic.map((t) => t.result),
    expectations: ctx.expectations,
    events: ctx.events,
  };
}

/** Runs a step's actions in order, then checks its own expectations against what ran under it. */
async function runNode(step: Step, ctx: RunContext, collectors: Collector[], ids: ReadonlySet<string>, topLevel: boolean): Promise<void> {
  const { topology, options } = ctx;
  const mine: Collector = { traffic: [] };
  const chain = [...collectors, mine];
  const myIds = step.id !== undefined ? new Set([...ids, step.id]) : ids;
  const begin = Date.now();
  const baseline = await metricBaselines(step, topology);
  const changed = () => {
    const now = Date.now();
    for (const c of chain) c.lastChangeAt = now;
  };
  const timed = async (action: StepEvent["action"], detail: string, run: () => Promise<void>) => {
    const at = Date.now();
    const event: StepEvent = { step: step.name, action, detail, atMs: at - ctx.runStart, durationMs: 0 };
    ctx.events.push(event);
    try {
      await run();
    } catch (err) {
      event.error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      throw err;
    } finally {
      event.durationMs = Date.now() - at;
    }
  };

  for (const action of step.actions) {
    if (options.signal?.aborted) return;
    switch (action) {
      case "apply":
        await timed("apply", step.apply.map((r) => `${r.kind}/${r.name}`).join(", "), () => topology.controlPlane.apply(step.apply.map((r) => r.object)).then(() => undefined));
        changed();
        break;
      case "delete":
        await timed("delete", step.delete.map((r) => `${r.kind}/${r.name}`).join(", "), async () => {
          for (const r of step.delete) await topology.controlPlane.delete(r.kind, r.namespace ?? "default", r.name);
        });
        changed();
        break;
      case "fault":
        for (const f of step.fault ?? []) {
          await timed("fault", describeFault(f), () => applyFault(f, topology));
          changed();
        }
        break;
      case "waitFor": {
        const w = step.waitFor!;
        const detail = [w.acked ? "acked" : "", w.metric ? `${metricSource(w.metric)} ${w.metric.name} ${w.metric.op} ${w.metric.value}` : "", ...w.fixtures].filter(Boolean).join(", ");
        await timed("waitFor", detail, async () => {
          const deadline = Date.now() + w.timeoutMs;
          for (const f of w.fixtures) await topology.waitForInstance(f, Math.max(0, deadline - Date.now()));
          if (w.metric) await waitForMetric(w.metric, topology, baseline, Math.max(0, deadline - Date.now()));
          if (w.acked) await topology.controlPlane.waitForAcked(topology.proxyIds(), Math.max(0, deadline - Date.now()));
        });
        break;
      }
      case "sleep":
        await timed("sleep", formatMs(step.sleepMs ?? 0), () => abortableSleep(step.sleepMs ?? 0, options.signal));
        break;
      case "traffic": {
        const spec = step.traffic!;
        await timed("traffic", `${spec.from} → ${spec.to}`, async () => {
          const result = await runTraffic({
            step: step.name,
            ...((step.id ?? lastId(myIds)) ? { id: step.id ?? lastId(myIds)! } : {}),
            from: spec.from,
            to: spec.to,
            driver: driverFor(spec.service.protocol),
            address: topology.addressFor(spec.from, spec.to),
            call: spec.call ?? { method: "sayHello", args: ["meshsim"] },
            ...(spec.keys !== undefined ? { keys: spec.keys } : {}),
            executor:
              spec.executor.type === "constant-arrival-rate"
                ? { type: "constant-arrival-rate", rate: spec.executor.ratePerSecond, count: spec.executor.count, durationMs: spec.executor.durationMs }
                : { type: "constant-concurrency", concurrency: spec.executor.concurrency, count: spec.executor.count, durationMs: spec.executor.durationMs },
            connections: spec.connections,
            timeoutMs: spec.timeoutMs,
            driverOptions: { transport: spec.service.transport, protocolVariant: spec.service.protocolVariant },
            onProgress: (p) => options.onEvent?.({ type: "progress", step: step.name, ...p }),
            signal: options.signal,
            ...(options.failFast !== false ? { abortWhen: abortWhenDoomed(step) } : {}),
          });
          for (const c of chain) c.traffic.push({ result, ids: myIds });
        });
        break;
      }
      case "parallel": {
        const settled = await Promise.allSettled((step.parallel ?? []).map((child) => runNode(child, ctx, chain, myIds, false)));
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        break;
      }
      case "sequence":
        for (const child of step.sequence ?? []) await runNode(child, ctx, chain, myIds, false);
        break;
      case "repeat": {
        const r = step.repeat!;
        const first = Date.now();
        for (const [k, iteration] of r.iterations.entries()) {
          if (k > 0 && r.everyMs > 0) await abortableSleep(first + k * r.everyMs - Date.now(), options.signal);
          if (options.signal?.aborted) return;
          await runNode(iteration, ctx, chain, myIds, false);
        }
        break;
      }
    }
  }

  ctx.stepEnds.set(step.name, Date.now());
  const abortedAfter = mine.traffic.find((t) => t.result.aborted !== undefined)?.result.requests;
  for (const expectation of step.expect) {
    let result = await checkExpectation(expectation, mine, topology, baseline, ctx.earlier, { beginMs: begin, stepEnds: ctx.stepEnds });
    // Judged on part of the traffic only: say so, so no one reads it as the whole step's verdict.
    if (abortedAfter !== undefined && expectation.kind !== "metric" && expectation.kind !== "accessLog")
      result = { ...result, message: result.message.replace(/( — (?:pass|FAIL))?$/, ` (on the ${abortedAfter} requests recorded before fail fast stopped the traffic)$1`) };
    ctx.expectations.push(topLevel ? result : { ...result, name: `${result.name} (${step.name})`, message: `${step.name}: ${result.message}` });
  }
}

/** The step's own expectations on this traffic, checked as it runs: a reason to stop once one can no longer hold. */
function abortWhenDoomed(step: Step): (live: LiveCounts, maxRequests: number) => string | undefined {
  const mine = step.expect.filter((e) => e.of === undefined || e.of === step.id);
  return (live, maxRequests) => alreadyFailed(mine, live, maxRequests);
}

function lastId(ids: ReadonlySet<string>): string | undefined {
  return [...ids].pop();
}

async function checkExpectation(
  expectation: Expectation,
  observed: Collector,
  topology: RunningTopology,
  baseline: Map<string, StatsSnapshot>,
  earlier: RunContext["earlier"],
  window: { beginMs: number; stepEnds: ReadonlyMap<string, number> },
): Promise<AssertionResult> {
  const inner: Assertion = expectation.kind === "eventually" || expectation.kind === "consistently" ? expectation.inner : expectation;
  if (inner.kind === "accessLog") return checkAccessLog(inner.accessLog, topology, window);
  if (inner.kind === "metric") {
    const lacking = inner.metric.sidecar !== undefined && topology.sidecars.get(inner.metric.sidecar)?.dataPlane === "envoy" ? envoyLacksCounter(inner.metric.name) : undefined;
    if (lacking !== undefined) {
      const name = `metric ${inner.metric.sidecar} ${inner.metric.name} ${inner.metric.op} ${inner.metric.value}`;
      return { name, passed: true, message: `metric: ${inner.metric.sidecar} ${inner.metric.name}: not applicable on envoy: ${lacking}`, details: {}, notApplicable: lacking };
    }
    const read = async (): Promise<AssertionResult> => {
      const stats = await readStats(topology, inner.metric).catch((err: unknown) => err as Error);
      if (stats instanceof Error) {
        return {
          name: `metric ${metricSource(inner.metric)} ${inner.metric.name} ${inner.metric.op} ${inner.metric.value}`,
          passed: false,
          message: `metric: ${metricSource(inner.metric)}: counters unreadable: ${stats.message} — FAIL`,
          details: {},
        };
      }
      return evaluateMetric(inner.metric, stats, baseline.get(metricSource(inner.metric)));
    };
    if (expectation.kind === "eventually") return pollMetric(read, expectation.withinMs, "eventually");
    if (expectation.kind === "consistently") return pollMetric(read, expectation.forMs ?? 1000, "consistently");
    return read();
  }
  const candidates = expectation.of !== undefined ? observed.traffic.filter((t) => t.ids.has(expectation.of!)) : observed.traffic;
  const picked = candidates[candidates.length - 1]?.result;
  const assertion = inner as TrafficAssertion;
  if (!picked) {
    return {
      name: assertion.kind,
      passed: false,
      message: `${assertion.kind}: no traffic${expectation.of !== undefined ? ` from branch "${expectation.of}"` : ""} to check (the step stopped early?) — FAIL`,
      details: {},
    };
  }
  if (expectation.kind === "eventually") {
    const origin = Date.parse(picked.startedAt);
    const anchorMs = (observed.lastChangeAt ?? origin) - origin;
    return evaluateEventually(assertion, expectation.withinMs, anchorMs, picked);
  }
  if (expectation.kind === "consistently") return evaluateConsistently(assertion, expectation.forMs, picked);
  return evaluateExpectation(assertion, picked, earlier);
}

/** Reads the sidecar's access log once the step's actions are done, and counts the step's matching lines. */
async function checkAccessLog(c: AccessLogCondition, topology: RunningTopology, window: { beginMs: number; stepEnds: ReadonlyMap<string, number> }): Promise<AssertionResult> {
  const name = accessLogName(c);
  const lines = await topology.sidecarAccessLog(c.sidecar).catch((err: unknown) => err as Error);
  if (lines instanceof Error) return { name, passed: false, message: `accessLog: ${c.sidecar}: access log unreadable: ${lines.message} — FAIL`, details: {} };
  if (!Array.isArray(lines)) return { name, passed: true, message: `accessLog: ${c.sidecar}: not applicable: ${lines.notApplicable}`, details: {}, notApplicable: lines.notApplicable };
  const after = c.after !== undefined ? window.stepEnds.get(c.after) : undefined;
  if (c.after !== undefined && after === undefined) return { name, passed: false, message: `accessLog: step "${c.after}" never finished, so nothing came after it — FAIL`, details: {} };
  return evaluateAccessLog(c, lines, after ?? window.beginMs);
}

/** Polls every 100 ms: eventually passes at the first true reading, consistently fails at the first false one. */
async function pollMetric(read: () => Promise<AssertionResult>, durationMs: number, mode: "eventually" | "consistently"): Promise<AssertionResult> {
  const start = Date.now();
  let polls = 0;
  for (;;) {
    const r = await read();
    polls++;
    const elapsed = Date.now() - start;
    const strip = r.message.replace(/ — (pass|FAIL)$/, "");
    if (mode === "eventually" && r.passed) return { ...r, name: `eventually ${r.name}`, message: `eventually (within ${formatMs(durationMs)}): after ${formatMs(elapsed)}: ${strip} — pass` };
    if (mode === "consistently" && !r.passed)
      return { ...r, name: `consistently ${r.name}`, message: `consistently (for ${formatMs(durationMs)}): failed after ${formatMs(elapsed)}: ${strip} — FAIL` };
    if (elapsed >= durationMs) {
      return mode === "eventually"
        ? { ...r, name: `eventually ${r.name}`, message: `eventually (within ${formatMs(durationMs)}): never held in ${polls} polls; last: ${strip} — FAIL` }
        : { ...r, name: `consistently ${r.name}`, message: `consistently (for ${formatMs(durationMs)}): held at all ${polls} polls; last: ${strip} — pass` };
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The counters a metric reads: its sidecar's `/stats`, or the sum of its service instances' own. */
async function readStats(topology: RunningTopology, metric: MetricCondition): Promise<StatsSnapshot> {
  if (metric.service !== undefined) {
    const sum: Record<string, number> = {};
    for (const i of topology.instances) {
      if (i.service !== metric.service || (metric.version !== undefined && i.version !== metric.version) || (metric.instance !== undefined && i.instance !== metric.instance)) continue;
      for (const [name, n] of Object.entries(await topology.readInstanceStats(i.instance))) sum[name] = (sum[name] ?? 0) + n;
    }
    return sum;
  }
  return topology.sidecarStats(metric.sidecar!);
}

/** Counters at the start of the step for every source a `delta: true` metric reads, by `metricSource`. */
async function metricBaselines(step: Step, topology: RunningTopology): Promise<Map<string, StatsSnapshot>> {
  const sources = new Map<string, MetricCondition>();
  const consider = (m: MetricCondition | undefined) => {
    if (m?.delta) sources.set(metricSource(m), m);
  };
  consider(step.waitFor?.metric);
  for (const e of step.expect) {
    const inner = e.kind === "eventually" || e.kind === "consistently" ? e.inner : e;
    if (inner.kind === "metric") consider(inner.metric);
  }
  const out = new Map<string, StatsSnapshot>();
  for (const [key, m] of sources) out.set(key, await readStats(topology, m));
  return out;
}

async function waitForMetric(metric: MetricCondition, topology: RunningTopology, baseline: Map<string, StatsSnapshot>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = evaluateMetric(metric, await readStats(topology, metric), baseline.get(metricSource(metric)));
    if (r.passed) return;
    if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `waitFor ${r.message.replace(/ — FAIL$/, "")} within ${formatMs(timeoutMs)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function applyFault(f: FaultSpec, topology: RunningTopology): Promise<void> {
  switch (f.kind) {
    case "kill":
      return topology.kill(f.instance, f.signal);
    case "restart":
      return topology.restart(f.instance);
    case "pause":
      return topology.pause(f.instance);
    case "unpause":
      return topology.unpause(f.instance);
    case "network":
      return topology.setNetworkFault(f.link, f.fault);
  }
}

export function describeFault(f: FaultSpec): string {
  switch (f.kind) {
    case "kill":
      return `kill ${f.instance} (${f.signal})`;
    case "restart":
      return `restart ${f.instance}`;
    case "pause":
    case "unpause":
      return `${f.kind} ${f.instance}`;
    case "network": {
      const link = f.link.kind === "client" ? `${f.link.client} → sidecar` : `→ ${f.link.target}`;
      if (!f.fault) return `clear ${link}`;
      const parts: string[] = [];
      const p = (n: number) => (n < 1 ? ` p=${n}` : "");
      if (f.fault.latency) parts.push(`latency ${formatMs(f.fault.latency.delayMs)}±${formatMs(f.fault.latency.jitterMs)}${p(f.fault.latency.probability)}`);
      if (f.fault.reset) parts.push(`reset${p(f.fault.reset.probability)}`);
      if (f.fault.blackhole) parts.push(`blackhole${p(f.fault.blackhole.probability)}`);
      if (f.fault.bandwidth) parts.push(`bandwidth ${f.fault.bandwidth.bytesPerSecond} B/s${p(f.fault.bandwidth.probability)}`);
      if (f.fault.slice) parts.push(`slice ${f.fault.slice.bytes} B${p(f.fault.slice.probability)}`);
      return `${parts.join(", ")} ${link}`;
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The links the scenario puts network faults on, so the backend starts fault proxies there only. */
export function faultLinks(scenario: Scenario): LinkSpec[] {
  return allSteps(scenario.steps).flatMap((s) => (s.fault ?? []).flatMap((f) => (f.kind === "network" ? [f.link] : [])));
}

/** Hosts for which the scenario brings its own DestinationRule (the generated one is left out). */
export function destinationRuleHosts(scenario: Scenario): Set<string> {
  const hosts = new Set<string>();
  const all: ScenarioResource[] = [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => s.apply)];
  for (const r of all) {
    if (r.kind !== "DestinationRule") continue;
    const host = (r.object.spec as { host?: unknown } | undefined)?.host;
    if (typeof host === "string") hosts.add(host);
  }
  return hosts;
}

/** The files in the run's `logs/` folder: each part's output, each sidecar's access log and spans. */
async function keptLogs(runDir: string): Promise<RunLog[]> {
  const names = await readdir(join(runDir, "logs")).catch(() => [] as string[]);
  return names.sort().map((name): RunLog => {
    const file = `logs/${name}`;
    if (name.endsWith(ACCESS_LOG_SUFFIX)) return { part: name.slice(0, -ACCESS_LOG_SUFFIX.length), kind: "access-log", file };
    if (name.endsWith(TRACES_SUFFIX)) return { part: name.slice(0, -TRACES_SUFFIX.length), kind: "traces", file };
    return { part: name.replace(/\.log$/, ""), kind: "output", file };
  });
}

function bringsTelemetry(scenario: Scenario): boolean {
  return [...scenario.resources, ...allSteps(scenario.steps).flatMap((s) => s.apply)].some((r) => r.kind === "Telemetry");
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, "-").replace("Z", "");
}

export type { InputProblem };
