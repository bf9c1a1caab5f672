/**
 * loadScenario: read, parse, validate against the JSON Schema, resolve includes and
 * normalize. Every problem found is reported at once, each with file:line:column.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { InvalidInputError, type InputProblem } from "../../common/errors.ts";
import { formatPath, parseYamlDocuments, YamlSyntaxError, type FieldPath, type SourceDocument } from "../../common/yaml-source.ts";
import { renderValue, type TemplateValue } from "./template.ts";
import { schemaProblems } from "./ajv-problems.ts";
import { normalizeScenario } from "./normalize/index.ts";
import { SCENARIO_SCHEMA } from "./schema/index.ts";
import type { Scenario } from "./types.ts";

let validator: ValidateFunction | undefined;
function validate(value: unknown): ValidateFunction["errors"] {
  const v = (validator ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(SCENARIO_SCHEMA));
  return v(value) ? [] : (v.errors ?? []);
}

export interface LoadOptions {
  /** `--var name=value` overrides of the scenario's `vars:` (strings are typed: "10" is a number). */
  vars?: Readonly<Record<string, TemplateValue>> | undefined;
}

/** Loads and validates one scenario; throws InvalidInputError listing every problem. */
/** A YAML file that is a scenario (rather than Aeraki/Istio resources). */
export function isScenarioFile(file: string): boolean {
  return /^kind:\s*Scenario\s*$/m.test(readFileSync(file, "utf8"));
}

export async function loadScenario(file: string, options: LoadOptions = {}): Promise<Scenario> {
  const problems: InputProblem[] = [];
  const scenario = await loadInto(file, problems, options);
  if (problems.length > 0 || !scenario) throw new InvalidInputError(sortProblems(file, problems));
  return scenario;
}

async function loadInto(file: string, problems: InputProblem[], options: LoadOptions = {}): Promise<Scenario | undefined> {
  const fallbackName = `Scenario/${basename(file)}`;
  const fail = (message: string, line = 1, column = 1, resource = fallbackName) => {
    problems.push({ file, line, column, resource, path: "", message });
    return undefined;
  };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? "scenario file not found" : `cannot read scenario file: ${(err as Error).message}`);
  }
  let docs: SourceDocument[];
  try {
    docs = parseYamlDocuments(text, file);
  } catch (err) {
    if (err instanceof YamlSyntaxError) return fail(`YAML syntax error: ${err.reason}`, err.line, err.column);
    throw err;
  }
  const doc = docs[0];
  if (!doc) return fail("the file is empty; expected a Scenario (apiVersion: meshsim.dev/v1alpha1, kind: Scenario)");
  if (docs.length > 1) {
    const second = docs[1]!.locate([]);
    fail(`expected one YAML document, found ${docs.length}; put each scenario in its own file`, second.line, second.column);
  }
  const name = (doc.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  const resourceName = typeof name === "string" ? `Scenario/${name}` : fallbackName;

  const declared = (doc.value as { vars?: unknown } | null)?.vars;
  const scope: Record<string, TemplateValue> = {};
  if (declared !== null && typeof declared === "object" && !Array.isArray(declared)) {
    for (const [k, v] of Object.entries(declared)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") scope[k] = v;
  }
  Object.assign(scope, options.vars ?? {});

  const before = problems.length;
  // The schema sees values as they will run: templates rendered, a repeat body with i = 1.
  const templateProblems: InputProblem[] = [];
  const rendered = renderForSchema(doc, scope, resourceName, templateProblems);
  // A template that failed stays as written; the schema's complaint about that text is noise.
  const broken = templateProblems.map((p) => p.path);
  const fromSchema = schemaProblems({ ...doc, value: rendered }, resourceName, validate(rendered) ?? []);
  problems.push(...fromSchema.filter((p) => !broken.some((b) => p.path === b || p.path.startsWith(`${b}.`) || p.path.startsWith(`${b}[`))));
  if (problems.length > before || templateProblems.length > 0) {
    problems.push(...templateProblems);
    return undefined;
  }
  return normalizeScenario({ doc, file, text, scope, resourceName, rendered }, problems);
}

/** Renders every template for schema validation: steps under `repeat` with i = 1. */
function renderForSchema(doc: SourceDocument, scope: Record<string, TemplateValue>, resourceName: string, problems: InputProblem[]): unknown {
  const onError = (path: FieldPath, message: string) => {
    const { line, column } = doc.locate(path);
    problems.push({ file: doc.file, line, column, resource: resourceName, path: formatPath(path), message });
  };
  const root = doc.value;
  if (root === null || typeof root !== "object" || Array.isArray(root)) return root;
  const renderSteps = (steps: unknown, path: FieldPath, stepScope: Record<string, TemplateValue>): unknown => {
    if (!Array.isArray(steps)) return renderValue(steps, stepScope, (p, m) => onError([...path, ...p], m));
    return steps.map((step, i) => {
      if (step === null || typeof step !== "object" || Array.isArray(step)) return step;
      const s = step as Record<string, unknown>;
      const inner = s.repeat !== undefined ? { ...stepScope, i: 1 } : stepScope;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s)) {
        const at: FieldPath = [...path, i, k];
        out[k] = k === "parallel" || k === "sequence" ? renderSteps(v, at, inner) : renderValue(v, k === "repeat" ? stepScope : inner, (p, m) => onError([...at, ...p], m));
      }
      return out;
    });
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(root)) out[k] = k === "steps" ? renderSteps(v, ["steps"], scope) : renderValue(v, scope, (p, m) => onError([k, ...p], m));
  return out;
}

/** For tests and `validate`: the problems of one file without throwing. */
export async function scenarioProblems(file: string, options: LoadOptions = {}): Promise<InputProblem[]> {
  const problems: InputProblem[] = [];
  await loadInto(file, problems, options);
  return sortProblems(file, problems);
}

/** The scenario file's problems first, each file's in line order. */
function sortProblems(file: string, problems: InputProblem[]): InputProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(a.p.file !== file) - Number(b.p.file !== file) || a.p.file.localeCompare(b.p.file) || a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
