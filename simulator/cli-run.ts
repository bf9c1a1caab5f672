/**
 * `meshsim run` and `meshsim up`: argv to options (the table below), then the programmatic API.
 * Every scenario is loaded and validated before the first one starts, so a typo in the third
 * file does not cost the first two runs.
 */
import { readFileSync } from "node:fs";
import { InvalidInputError, MeshsimError, type InputProblem } from "../common/errors.ts";
import { renderConsoleSummary, renderDataPlaneComparison, renderRunTable } from "./report/console.ts";
import { writeComparison } from "./report/comparison-html.ts";
import { compareDataPlanes } from "./assert/differential.ts";
import { isFileReporter, isReporterName, REPORTER_NAMES, type ReporterName } from "./report/reporters.ts";
import type { RunSummary } from "./report/summary.ts";
import { FILE_REPORTERS, type FileReporterName } from "./report/write-reports.ts";
import { configSteps, describeConfigStep } from "./config-steps.ts";
import { watchParent } from "./parent-watch.ts";
import { runScenario, upScenario } from "./runner.ts";
import { closeEngine } from "./runtime/containers/engine.ts";
import { loadScenario } from "./scenario/loader.ts";
import { parseVarValue, type TemplateValue } from "./scenario/template.ts";
import { DATA_PLANES, type DataPlane, type Scenario } from "./scenario/types.ts";

/** The options `run` and `up` take: name → [takes a value, repeatable, help]. */
export const RUN_OPTIONS = {
  out: { value: true, repeat: false, help: "reports folder (default: reports)" },
  tag: { value: true, repeat: true, help: "run only scenarios with this tag (repeat or comma-separate: any of them)" },
  var: { value: true, repeat: true, help: "set a template variable, overriding vars: (name=value, repeatable)" },
  reporter: { value: true, repeat: true, help: `${REPORTER_NAMES.join(", ")} (repeat or comma-separate; default all)` },
  bail: { value: false, repeat: false, help: "stop after the first scenario that fails" },
  quiet: { value: false, repeat: false, help: "no progress, only the summaries" },
  "no-fail-fast": { value: false, repeat: false, help: "run every step's traffic to the end even once an expectation can no longer hold" },
  "data-plane": { value: true, repeat: false, help: "sidecars: meshsim (default), envoy, or both (each scenario once on each, compared)" },
  backend: { value: true, repeat: false, help: "processes or containers (default: MESHSIM_BACKEND, else the scenario's topology.backend, else processes)" },
  apply: { value: false, repeat: false, help: "up: also apply what the scenario's apply/delete steps do, in order" },
} as const;
export type RunOptionName = keyof typeof RUN_OPTIONS;

export interface ParsedArgs {
  values: Partial<Record<RunOptionName, string[]>>;
  positional: string[];
}

export function parseRunArgs(argv: readonly string[], allowed: readonly RunOptionName[] = Object.keys(RUN_OPTIONS) as RunOptionName[]): ParsedArgs {
  const values: ParsedArgs["values"] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(2, eq) : arg.slice(2)) as RunOptionName;
    const spec = RUN_OPTIONS[name];
    if (!spec || !allowed.includes(name)) throw new MeshsimError("INVALID_INPUT", `unknown option --${name} (options: ${allowed.map((n) => `--${n}`).join(", ")})`);
    let value = "true";
    if (spec.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new MeshsimError("INVALID_INPUT", `--${name} needs a value`);
    }
    values[name] = spec.repeat ? [...(values[name] ?? []), value] : [value];
  }
  return { values, positional };
}

export function parseVars(list: readonly string[] = []): Record<string, TemplateValue> {
  const vars: Record<string, TemplateValue> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new MeshsimError("INVALID_INPUT", `--var ${item}: expected name=value`);
    vars[item.slice(0, eq)] = parseVarValue(item.slice(eq + 1));
  }
  return vars;
}

/** `--data-plane`: the data planes to run each scenario on (undefined: the scenario's own choice). */
export function parseDataPlanes(value: string | undefined): Array<DataPlane | undefined> {
  if (value === undefined) return [undefined];
  if (value === "both") return ["meshsim", "envoy"];
  if ((DATA_PLANES as readonly string[]).includes(value)) return [value as DataPlane];
  throw new MeshsimError("INVALID_INPUT", `--data-plane ${value}: expected ${DATA_PLANES.join(", ")} or both`);
}

export function parseReporters(list: readonly string[] | undefined): ReporterName[] {
  if (!list) return [...REPORTER_NAMES];
  const names = list.flatMap((l) => l.split(",")).map((n) => n.trim()).filter(Boolean);
  for (const n of names) if (!isReporterName(n)) throw new MeshsimError("INVALID_INPUT", `unknown reporter "${n}" (reporters: ${REPORTER_NAMES.join(", ")})`);
  return [...new Set(names as ReporterName[])];
}

function isScenarioFile(file: string): boolean {
  return /^kind:\s*Scenario\s*$/m.test(readFileSync(file, "utf8"));
}

/** Loads every scenario (all problems at once), then keeps those with one of `tags`. */
async function loadAll(files: readonly string[], vars: Record<string, TemplateValue>, tags: readonly string[]): Promise<Scenario[]> {
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

export async function runCommand(args: string[], expand: (paths: string[]) => string[]): Promise<number> {
  const { values, positional } = parseRunArgs(args);
  const files = expand(positional).filter(isScenarioFile);
  if (files.length === 0) throw new MeshsimError("INVALID_INPUT", "run: name at least one scenario file or folder");
  const tags = (values.tag ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
  const scenarios = await loadAll(files, parseVars(values.var), tags);
  if (scenarios.length === 0) throw new MeshsimError("INVALID_INPUT", `no scenario in ${files.length} file(s) has tag ${tags.join(" or ")}`);
  const dataPlanes = parseDataPlanes(values["data-plane"]?.[0]);
  const reporters = parseReporters(values.reporter);
  const fileReporters = reporters.filter(isFileReporter) as FileReporterName[];
  const consoleOut = reporters.includes("console");
  const quiet = values.quiet !== undefined;
  const live = consoleOut && !quiet && process.stdout.isTTY === true;
  const say = (text: string) => {
    if (consoleOut) process.stdout.write(text);
  };

  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write("\nmeshsim: interrupted, stopping every process...\n");
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const stopWatching = watchParent(onSignal);
  const summaries: RunSummary[] = [];
  let disagreements = 0;
  try {
    for (const scenario of scenarios) {
      const pair: Array<RunSummary & { reportDir?: string }> = [];
      for (const dataPlane of dataPlanes) {
        if (controller.signal.aborted) break;
        if (!quiet) say(`▶ ${scenario.file}${dataPlane !== undefined ? ` on ${dataPlane}` : ""}\n`);
        const summary = await runScenario(scenario, {
          ...(dataPlane !== undefined && { dataPlane }),
          outDir: values.out?.[0] ?? "reports",
          reporters: fileReporters,
          ...(fileReporters.length === 0 ? { noReports: true } : {}),
          signal: controller.signal,
          ...(values.backend ? { backend: values.backend[0]! } : {}),
          ...(values["no-fail-fast"] !== undefined ? { failFast: false } : {}),
          onEvent: (e) => {
            if (quiet || !consoleOut) return;
            if (e.type === "step-start") say(`  • ${e.step.name}\n`);
            if (e.type === "progress" && live) {
              say(`\r\x1b[K    ${e.step}: ${e.sent} sent, ${e.completed} done, ${e.errors} errors, ${(e.elapsedMs / 1000).toFixed(0)}s`);
            }
            if (e.type === "step-end" && live) say("\r\x1b[K");
          },
        });
        summaries.push(summary);
        pair.push(summary);
        say(renderConsoleSummary(summary));
        if (summary.reportDir) say(`reports: ${summary.reportDir}/ (${fileReporters.map((r) => FILE_REPORTERS[r].file).join(", ")})\n`);
      }
      if (pair.length === 2) {
        const [meshsim, envoy] = pair as [RunSummary, RunSummary];
        const findings = meshsim.unsupported || envoy.unsupported ? [] : compareDataPlanes(meshsim, envoy);
        // A significant disagreement fails the gate even when both runs passed.
        if (findings.length > 0) disagreements++;
        say(renderDataPlaneComparison(meshsim, envoy, findings));
        if (fileReporters.includes("html")) say(`comparison: ${writeComparison(meshsim, envoy, findings, values.out?.[0] ?? "reports")}\n`);
      }
      if (controller.signal.aborted) break;
      if (pair.some((s) => !s.passed) && values.bail) {
        const run = summaries.length / dataPlanes.length;
        if (scenarios.length > run) say(`--bail: stopping after ${scenario.metadata.name}; ${scenarios.length - run} scenario(s) not run\n`);
        break;
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    stopWatching();
    await closeEngine();
  }
  if (summaries.length > 1) say(renderRunTable(summaries, scenarios.length * dataPlanes.length));
  if (controller.signal.aborted) return 130;
  if (summaries.some((s) => s.error !== undefined || s.unsupported !== undefined)) return 2;
  return summaries.every((s) => s.passed) && summaries.length === scenarios.length * dataPlanes.length && disagreements === 0 ? 0 : 1;
}

/**
 * `meshsim up <scenario>`: the topology and the scenario's resources, addresses printed, until
 * Ctrl-C (or until the process that started it is gone). The steps' apply/delete run only with
 * --apply; either way the output says which were applied.
 */
export async function upCommand(args: string[]): Promise<number> {
  const { values, positional } = parseRunArgs(args, ["var", "data-plane", "backend", "apply"]);
  if (positional.length !== 1) throw new MeshsimError("INVALID_INPUT", "up: name exactly one scenario file");
  const [dataPlane, more] = parseDataPlanes(values["data-plane"]?.[0]);
  if (more !== undefined) throw new MeshsimError("INVALID_INPUT", "up: --data-plane both is for run; bring up meshsim or envoy");
  const scenario = await loadScenario(positional[0]!, { vars: parseVars(values.var) });
  const applySteps = values.apply !== undefined;
  const topology = await upScenario(scenario, {
    applySteps,
    ...(dataPlane !== undefined && { dataPlane }),
    ...(values.backend ? { backend: values.backend[0]! } : {}),
  });
  const lines: string[] = [];
  lines.push(`${topology.backend} backend${topology.runLabel ? `, everything labelled ${topology.runLabel}` : ""}`);
  lines.push(`control plane   ${topology.controlPlane.baseUrl}/status  (xDS 127.0.0.1:${topology.controlPlaneXdsPort})`);
  for (const s of topology.sidecars.values()) {
    lines.push(`sidecar ${s.client} (${s.dataPlane})  admin http://127.0.0.1:${s.adminPort}/stats  /config_dump  (node ${s.nodeId})`);
    for (const [service, a] of s.outbound) lines.push(`  ${s.client} → ${service}  ${a.host}:${a.port}`);
  }
  for (const i of topology.instances) {
    lines.push(`instance ${i.instance}  ${i.host}:${i.port}${i.advertisedPort !== i.port ? `  (through fault proxy ${i.host}:${i.advertisedPort})` : ""}  ${i.service} ${i.version}`);
  }
  lines.push(`resources: ${scenario.resources.length} from the scenario's resources: section, applied`);
  const steps = configSteps(scenario);
  if (steps.length > 0) {
    lines.push(applySteps ? `steps applied in order (--apply):` : `steps NOT applied (run with --apply to apply them in order):`);
    for (const step of steps) lines.push(`  ${describeConfigStep(step)}`);
  }
  process.stdout.write(`${lines.join("\n")}\nup; press Ctrl-C to stop\n`);
  // Signal listeners do not keep Node running; child processes do, containers do not.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    watchParent(resolve);
  });
  clearInterval(keepAlive);
  process.stderr.write("stopping...\n");
  await topology.down();
  await closeEngine();
  return 0;
}
