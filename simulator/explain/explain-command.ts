/**
 * `meshsim explain`: argv → where the configuration comes from (resource and scenario files, a
 * running control plane, or a live sidecar's /config_dump) and the request → the explanation,
 * as text or JSON. Exit 0 when the request is routed, 1 when it gets a local reply, 2 on bad input.
 */
import { existsSync, readFileSync } from "node:fs";
import { MeshsimError, formatProblem, type InputProblem } from "../../common/errors.ts";
import { parseCommandArgs, type OptionSpecs } from "../../common/command-args.ts";
import { parseResources } from "../../control-plane/resources/parse.ts";
import { validateResources } from "../../control-plane/resources/validate.ts";
import { resourceKey, type ResourceSource } from "../../control-plane/resources/resource.ts";
import type { Resource } from "../../control-plane/resources/kinds.ts";
import { isScenarioFile, loadScenario } from "../scenario/loader.ts";
import { scenarioResourceStates } from "../scenario-resources.ts";
import { explain, type Explanation } from "./explain.ts";
import { formatExplanation } from "./format.ts";
import { NO_PROVENANCE, resourceProvenance, type Provenance } from "./provenance.ts";
import { REQUEST_OPTIONS, requestFromOptions } from "./request.ts";
import { configFromEnvoyDump } from "./envoy-dump.ts";
import { configFromProxyDump, configFromResources, type SidecarConfig } from "./sidecar-config.ts";

/** name → [takes a value, repeatable, help]. */
export const EXPLAIN_OPTIONS: Record<string, { value: boolean; repeat: boolean; help: string }> = {
  host: { value: true, repeat: false, help: "the request's host, e.g. hello.default.svc.cluster.local (required)" },
  port: { value: true, repeat: false, help: "the host's port, when it has more than one" },
  protocol: { value: true, repeat: false, help: "thrift, dubbo, redis, kafka or an added codec's name (checked against the listener)" },
  ...Object.fromEntries(Object.entries(REQUEST_OPTIONS).map(([k, v]) => [k, { value: true, repeat: false, help: v.help }])),
  header: { value: true, repeat: true, help: "any metadata key=value: THeader header, Dubbo attachment, ... (repeatable)" },
  attachment: { value: true, repeat: true, help: "the same as --header, in Dubbo's words (repeatable)" },
  "control-plane": { value: true, repeat: false, help: "read the resources a running control plane serves (its HTTP address)" },
  sidecar: { value: true, repeat: false, help: "read a live sidecar's /config_dump (its admin address): meshsim's proxy or Envoy" },
  step: { value: true, repeat: false, help: "scenario files: the resources in force after this step (default: after the last)" },
  json: { value: false, repeat: false, help: "print the explanation as JSON" },
};

export const EXPLAIN_USAGE = `usage: meshsim explain [files|dirs...] [--control-plane <addr> | --sidecar <addr>] --host <host> [request options]

Which route a request takes and why: each route tried before it and the condition that failed,
the weights, subsets and endpoints it can reach, and every policy that applies, each with the
file:line of the rule that decided. Files are Aeraki/Istio resources or scenarios.

options:
${Object.entries(EXPLAIN_OPTIONS)
  .map(([k, o]) => `  --${k}${o.value ? " <value>" : ""}`.padEnd(30) + o.help)
  .join("\n")}

exit status: 0 the request is routed, 1 it gets a local reply (no route, denied), 2 bad input
`;

/** The option table as node:util parseArgs takes it. */
const EXPLAIN_ARG_SPECS: OptionSpecs = Object.fromEntries(
  Object.entries(EXPLAIN_OPTIONS).map(([k, o]) => [k, o.value ? { type: "string" as const, ...(o.repeat && { multiple: true }) } : { type: "boolean" as const }]),
);

function parseExplainArgs(argv: readonly string[]): { values: Record<string, string[]>; positional: string[] } {
  const { values, positionals } = parseCommandArgs("explain", argv, EXPLAIN_ARG_SPECS);
  // Every option as a list of values (a flag as ["true"]), as requestFromOptions reads them.
  const lists: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    if (Array.isArray(v)) lists[k] = v;
    else if (typeof v === "string") lists[k] = [v];
    else if (v === true) lists[k] = ["true"];
  }
  return { values: lists, positional: positionals };
}

function httpUrl(address: string, path: string): string {
  const base = /^https?:\/\//.test(address) ? address : `http://${address}`;
  return `${base.replace(/\/+$/, "")}${path}`;
}

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new MeshsimError("INVALID_INPUT", `explain: cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (!res.ok) throw new MeshsimError("INVALID_INPUT", `explain: ${url} answered ${res.status}`);
  return res.json();
}

export interface ExplainSource {
  config: SidecarConfig;
  provenance: Provenance;
  /** Problems in the resources (explained anyway: the control plane would refuse them). */
  problems: InputProblem[];
  /** What was read, for the first line of the answer. */
  from: string;
}

/** Resources → the sidecar configuration and provenance explain reads. */
export function sourceFromResources(resources: Resource[], problems: InputProblem[], from: string): ExplainSource {
  return { config: configFromResources(resources), provenance: resourceProvenance(resources), problems: [...problems, ...validateResources(resources)], from };
}

export async function sourceFromFiles(files: string[], step: string | undefined): Promise<ExplainSource> {
  const problems: InputProblem[] = [];
  const resources: Resource[] = [];
  const scenarios = files.filter(isScenarioFile);
  if (scenarios.length > 1) throw new MeshsimError("INVALID_INPUT", `explain: name one scenario at a time (found ${scenarios.join(", ")})`);
  if (step !== undefined && scenarios.length === 0) throw new MeshsimError("INVALID_INPUT", "explain: --step needs a scenario file");
  if (scenarios[0]) {
    const scenario = await loadScenario(scenarios[0]);
    const states = scenarioResourceStates(scenario, problems);
    const state = step === undefined ? states.at(-1)! : states.find((s) => s.step === step);
    if (!state) {
      const steps = states.flatMap((s) => (s.step ? [s.step] : []));
      throw new MeshsimError("INVALID_INPUT", `explain: no step "${step}" that applies resources in ${scenarios[0]} (steps: ${steps.join(", ") || "none"})`);
    }
    resources.push(...state.resources);
  }
  for (const f of files.filter((x) => !scenarios.includes(x))) {
    const parsed = parseResources(readFileSync(f, "utf8"), f);
    resources.push(...parsed.resources);
    problems.push(...parsed.problems);
  }
  return sourceFromResources(resources, problems, files.join(", "));
}

interface ServedResource {
  kind: string;
  apiVersion: string;
  metadata: Resource["metadata"];
  spec: unknown;
  source: { file: string; line: number; column: number };
}

/**
 * A control plane's resources. Their specs are already parsed; when the file a resource came from
 * is readable here and still holds the same resource, its positions are taken from the file, so
 * every rule keeps its own line; otherwise each rule points at its resource's first line.
 */
async function sourceFromControlPlane(address: string): Promise<ExplainSource> {
  const served = ((await getJson(httpUrl(address, "/resources"))) as { resources?: ServedResource[] }).resources;
  if (!Array.isArray(served)) throw new MeshsimError("INVALID_INPUT", `explain: ${address} is not a meshsim control plane (no resources in GET /resources)`);
  const fromFiles = new Map<string, Resource>();
  for (const file of new Set(served.map((r) => r.source.file))) {
    if (!existsSync(file)) continue;
    for (const r of parseResources(readFileSync(file, "utf8"), file).resources) fromFiles.set(resourceKey(r), r);
  }
  const resources = served.map((r) => {
    const same = fromFiles.get(resourceKey(r));
    if (same && JSON.stringify(same.spec) === JSON.stringify(r.spec)) return same;
    const source: ResourceSource = { file: r.source.file, locate: () => ({ line: r.source.line, column: r.source.column }) };
    return { ...r, source } as unknown as Resource;
  });
  return sourceFromResources(resources, [], `control plane ${address}`);
}

async function sourceFromSidecar(address: string): Promise<ExplainSource> {
  const dump = await getJson(httpUrl(address, "/config_dump?include_eds"));
  const config = configFromProxyDump(dump) ?? configFromEnvoyDump(dump);
  if (!config) throw new MeshsimError("INVALID_INPUT", `explain: ${address}/config_dump is neither a meshsim proxy's nor Envoy's`);
  return { config, provenance: NO_PROVENANCE, problems: [], from: `sidecar ${address}` };
}

export async function explainCommand(argv: string[], expandYamlArgs: (paths: string[]) => string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(EXPLAIN_USAGE);
    return 0;
  }
  const { values, positional } = parseExplainArgs(argv);
  const request = requestFromOptions(values);
  const sidecar = values.sidecar?.[0];
  const controlPlane = values["control-plane"]?.[0];
  const chosen = [positional.length > 0, sidecar !== undefined, controlPlane !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new MeshsimError("INVALID_INPUT", "explain: name resource files, or --control-plane <addr>, or --sidecar <addr> (exactly one of them)");
  const source =
    sidecar !== undefined
      ? await sourceFromSidecar(sidecar)
      : controlPlane !== undefined
        ? await sourceFromControlPlane(controlPlane)
        : await sourceFromFiles(expandYamlArgs(positional), values.step?.[0]);
  const explanation: Explanation = explain(source.config, request, source.provenance);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ from: source.from, problems: source.problems, ...explanation }, null, 2)}\n`);
  } else {
    for (const p of source.problems) process.stderr.write(`warning: ${formatProblem(p)}\n`);
    process.stdout.write(`from      ${source.from}\n${formatExplanation(explanation)}`);
  }
  return explanation.route && !/local reply/.test(explanation.outcome) ? 0 : 1;
}
