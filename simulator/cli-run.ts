/**
 * `meshsim run` and `meshsim up`: arguments to options, then the programmatic API
 * (runScenarios, upScenario).
 */
import { MeshsimError } from "../common/errors.ts";
import { listValues, parseCommandArgs } from "../common/command-args.ts";
import { configSteps, describeConfigStep } from "./config-steps.ts";
import { watchParent } from "./parent-watch.ts";
import { builtInReporter, isReporterName, REPORTER_NAMES } from "./report/built-in-reporters.ts";
import { loadReporter, type Reporter } from "./report/reporter.ts";
import { upScenario } from "./runner.ts";
import { runScenarios } from "./run-scenarios.ts";
import { closeEngine } from "./runtime/containers/engine.ts";
import { loadScenario } from "./scenario/loader.ts";
import { parseVarValue, type TemplateValue } from "./scenario/template.ts";
import { startPrometheus, type RunningPrometheus } from "./runtime/prometheus.ts";
import { DATA_PLANES, type DataPlane } from "./scenario/types.ts";

const RUN_OPTIONS = {
  out: { type: "string" },
  tag: { type: "string", multiple: true },
  var: { type: "string", multiple: true },
  reporter: { type: "string", multiple: true },
  bail: { type: "boolean" },
  quiet: { type: "boolean" },
  "no-fail-fast": { type: "boolean" },
  "data-plane": { type: "string" },
  backend: { type: "string" },
} as const;

const UP_OPTIONS = {
  var: { type: "string", multiple: true },
  "data-plane": { type: "string" },
  backend: { type: "string" },
  apply: { type: "boolean" },
  prometheus: { type: "boolean" },
} as const;

export function parseVars(list: readonly string[] = []): Record<string, TemplateValue> {
  const vars: Record<string, TemplateValue> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new MeshsimError("INVALID_INPUT", `--var ${item}: expected name=value`);
    vars[item.slice(0, eq)] = parseVarValue(item.slice(eq + 1));
  }
  return vars;
}

/** `--data-plane`: meshsim, envoy or both (undefined: each scenario's own choice). */
export function parseDataPlane(value: string | undefined): DataPlane | "both" | undefined {
  if (value === undefined || value === "both" || (DATA_PLANES as readonly string[]).includes(value)) return value as DataPlane | "both" | undefined;
  throw new MeshsimError("INVALID_INPUT", `--data-plane ${value}: expected ${DATA_PLANES.join(", ")} or both`);
}

/** `--reporter`: built-in names, or paths of reporter modules (`./my-reporter.js`); default every built-in. */
export async function parseReporters(list: readonly string[] | undefined, options: { quiet?: boolean } = {}): Promise<Reporter[]> {
  const names = list === undefined ? [...REPORTER_NAMES] : [...new Set(listValues(list))];
  const reporters: Reporter[] = [];
  for (const n of names) {
    if (isReporterName(n)) reporters.push(builtInReporter(n, options));
    else if (/[./\\]/.test(n)) reporters.push(await loadReporter(n));
    else throw new MeshsimError("INVALID_INPUT", `unknown reporter "${n}" (reporters: ${REPORTER_NAMES.join(", ")}, or a module path such as ./my-reporter.js)`);
  }
  return reporters;
}

export async function runCommand(args: string[], expand: (paths: string[]) => string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", args, RUN_OPTIONS);
  const files = expand(positionals);
  if (files.length === 0) throw new MeshsimError("INVALID_INPUT", "run: name at least one scenario file or folder");
  const dataPlane = parseDataPlane(values["data-plane"]);
  const result = await runScenarios(files, {
    tags: listValues(values.tag),
    vars: parseVars(values.var),
    ...(dataPlane !== undefined && { dataPlane }),
    ...(values.backend !== undefined && { backend: values.backend }),
    ...(values.out !== undefined && { outDir: values.out }),
    bail: values.bail === true,
    failFast: values["no-fail-fast"] !== true,
    reporters: await parseReporters(values.reporter, { quiet: values.quiet === true }),
    handleSignals: true,
  });
  return result.exitCode;
}

/**
 * `meshsim up <scenario>`: the topology and the scenario's resources, addresses printed, until
 * Ctrl-C (or until the process that started it is gone). The steps' apply/delete run only with
 * --apply; either way the output says which were applied.
 */
export async function upCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("up", args, UP_OPTIONS);
  if (positionals.length !== 1) throw new MeshsimError("INVALID_INPUT", "up: name exactly one scenario file");
  const dataPlane = parseDataPlane(values["data-plane"]);
  if (dataPlane === "both") throw new MeshsimError("INVALID_INPUT", "up: --data-plane both is for run; bring up meshsim or envoy");
  const scenario = await loadScenario(positionals[0]!, { vars: parseVars(values.var) });
  const applySteps = values.apply === true;
  const topology = await upScenario(scenario, {
    applySteps,
    ...(dataPlane !== undefined && { dataPlane }),
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
  });
  let prometheus: RunningPrometheus | undefined;
  if (values.prometheus === true) {
    try {
      prometheus = await startPrometheus([...topology.sidecars.values()].map((s) => ({ client: s.client, adminPort: s.adminPort })));
    } catch (err) {
      await topology.down();
      throw err;
    }
  }
  const lines: string[] = [];
  lines.push(`${topology.backend} backend${topology.runLabel ? `, everything labelled ${topology.runLabel}` : ""}`);
  lines.push(`control plane   ${topology.controlPlane.baseUrl}/status  (xDS 127.0.0.1:${topology.controlPlaneXdsPort})`);
  for (const s of topology.sidecars.values()) {
    lines.push(`sidecar ${s.client} (${s.dataPlane})  admin http://127.0.0.1:${s.adminPort}/stats  /config_dump  (node ${s.nodeId})`);
    for (const [service, a] of s.outbound) lines.push(`  ${s.client} → ${service}  ${a.host}:${a.port}`);
  }
  if (prometheus) lines.push(`prometheus      ${prometheus.url}  (scrapes every sidecar's /stats/prometheus each second; try istio_requests_total)`);
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
  await prometheus?.stop();
  await topology.down();
  await closeEngine();
  return 0;
}
