/**
 * loadScenario: read, parse, validate against the JSON Schema, resolve includes and
 * normalize. Every problem found is reported at once, each with file:line:column.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { InvalidInputError, type InputProblem } from "../../common/errors.ts";
import { parseYamlDocuments, YamlSyntaxError, type SourceDocument } from "../../common/yaml-source.ts";
import { schemaProblems } from "./ajv-problems.ts";
import { resolveResourceLists } from "./includes.ts";
import { normalizeScenario } from "./normalize.ts";
import { SCENARIO_SCHEMA } from "./schema.ts";
import type { Scenario } from "./types.ts";

let validator: ValidateFunction | undefined;
function validate(value: unknown): ValidateFunction["errors"] {
  const v = (validator ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(SCENARIO_SCHEMA));
  return v(value) ? [] : (v.errors ?? []);
}

/** Loads and validates one scenario; throws InvalidInputError listing every problem. */
export async function loadScenario(file: string): Promise<Scenario> {
  const problems: InputProblem[] = [];
  const scenario = await loadInto(file, problems);
  if (problems.length > 0 || !scenario) throw new InvalidInputError(sortProblems(file, problems));
  return scenario;
}

async function loadInto(file: string, problems: InputProblem[]): Promise<Scenario | undefined> {
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

  const before = problems.length;
  problems.push(...schemaProblems(doc, resourceName, validate(doc.value) ?? []));
  const schemaValid = problems.length === before;
  const lists = await resolveResourceLists(doc, resourceName, problems);
  if (!schemaValid) return undefined;
  return normalizeScenario(doc, file, lists, resourceName, problems);
}

/** For tests and `validate`: the problems of one file without throwing. */
export async function scenarioProblems(file: string): Promise<InputProblem[]> {
  const problems: InputProblem[] = [];
  await loadInto(file, problems);
  return sortProblems(file, problems);
}

/** The scenario file's problems first, each file's in line order. */
function sortProblems(file: string, problems: InputProblem[]): InputProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(a.p.file !== file) - Number(b.p.file !== file) || a.p.file.localeCompare(b.p.file) || a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i)
    .map(({ p }) => p);
}
