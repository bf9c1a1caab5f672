/**
 * summary.json: the single record of a run. JUnit, the console summary and any other
 * report are rendered from it, never from live state.
 */
import type { AssertionResult } from "../assert/assertion-result.ts";
import type { StepAction } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";

export interface RunSummary {
  tool: { name: "meshsim"; version: string };
  scenario: {
    name: string;
    file: string;
    tags: string[];
    description?: string;
    /** Template variables in force (`vars:` after `--var` overrides). */
    vars?: Record<string, string | number | boolean>;
    /** The scenario file's text as it was run. */
    text?: string;
  };
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** Every step ran and passed, and nothing failed outside a step. */
  passed: boolean;
  /** Why the run stopped outside any step (topology could not come up, ...). */
  error?: string;
  steps: StepSummary[];
  /** Steps left out because an earlier one was aborted (fail fast). */
  notRun?: string[];
  /** Files kept beside the reports (paths relative to the report folder). */
  logs?: RunLog[];
  /** One sampled request's spans, from the sidecars' trace files. */
  sampledTrace?: SampledTrace;
  /** The run's sidecar data plane: meshsim's proxy or real Envoy (clients may name their own). */
  dataPlane?: "meshsim" | "envoy";
  /** What the data plane cannot do (`file:line: Kind/name field: not supported on envoy: ...`); nothing ran. */
  unsupported?: string[];
  environment: { node: string; platform: string; backend?: string };
}

export interface RunLog {
  /** control-plane, an instance, sidecar-<client>. */
  part: string;
  /** output: what the process wrote; access-log: a sidecar's access log, one JSON line per request; traces: its spans (OTLP/HTTP JSON lines). */
  kind: "output" | "access-log" | "traces";
  file: string;
}

export interface SampledTrace {
  traceId: string;
  /** By start time. */
  spans: TraceSpan[];
}

export interface TraceSpan {
  /** service.name of whoever made it (`sidecar-<client>`). */
  service: string;
  name: string;
  spanId: string;
  parentSpanId?: string;
  /** ISO 8601. */
  startTime: string;
  durationMs: number;
  error: boolean;
  attributes: Record<string, string>;
}

export interface StepSummary {
  name: string;
  /** What the step did, in order, e.g. ["apply", "waitFor"]. */
  actions: StepAction[];
  durationMs: number;
  /** No error and every expectation held. */
  passed: boolean;
  /** The step could not complete (timeout waiting for ACKs, traffic could not start, ...). */
  error?: string;
  /** Its traffic stopped early because an expectation could no longer hold: after how many requests, and which. */
  aborted?: string;
  traffic: TrafficResult[];
  expectations: AssertionResult[];
  /** Every action that ran under this step (nested ones included), in start order. */
  events?: StepEvent[];
}

export interface StepEvent {
  /** The (nested) step the action belongs to. */
  step: string;
  action: "apply" | "delete" | "fault" | "waitFor" | "sleep" | "traffic";
  /** e.g. "MetaRouter/hello", "kill hello-v1-0 (SIGKILL)", "caller → hello". */
  detail: string;
  /** Start, in ms since the run's startedAt. */
  atMs: number;
  durationMs: number;
  error?: string;
}

/** e.g. "apply+waitFor"; "step" when the step did nothing. */
/** "8/12 expectations held" — checks not applicable on the data plane counted apart. */
export function held(expectations: ReadonlyArray<{ passed: boolean; notApplicable?: string }>, dataPlane: string | undefined): string {
  const na = expectations.filter((e) => e.notApplicable !== undefined).length;
  const checked = expectations.length - na;
  const ok = expectations.filter((e) => e.passed && e.notApplicable === undefined).length;
  return `${ok}/${checked} expectations held${na > 0 ? `, ${na} not applicable on ${dataPlane ?? "this data plane"}` : ""}`;
}

/** A run in one word: passed, failed, or unsupported on its data plane (nothing ran). */
export function runOutcome(s: Pick<RunSummary, "passed" | "unsupported">): "passed" | "failed" | "unsupported" {
  return s.unsupported ? "unsupported" : s.passed ? "passed" : "failed";
}

export function stepKind(step: Pick<StepSummary, "actions">): string {
  return step.actions.length ? step.actions.join("+") : "step";
}

export { writeReports, type ReportPaths } from "./write-reports.ts";
