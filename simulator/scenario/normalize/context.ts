import type { InputProblem } from "../../../common/errors.ts";
import { formatPath, type FieldPath, type SourceDocument } from "../../../common/yaml-source.ts";
import { renderValue, type TemplateScope } from "../template.ts";
import type { SourceRef } from "../types.ts";
import { parseDuration } from "../units.ts";
import type { NormalizeInput, RawScenario } from "./raw-shape.ts";
import type { normalizeTopology } from "./topology.ts";

/** What every section's normalizer shares: the document, the problem list and the rendered top level. */
export interface NormalizeContext {
  doc: SourceDocument;
  scope: TemplateScope;
  resourceName: string;
  problems: InputProblem[];
  /** The scenario with everything but its steps rendered (steps render per iteration). */
  raw: RawScenario;
  at: (path: FieldPath) => SourceRef;
  problem: (path: FieldPath, message: string) => void;
  render: <T>(value: T, path: FieldPath, withScope?: TemplateScope) => T;
  duration: (path: FieldPath, text: string | undefined, fallback: number) => number;
}

export type TopologyContext = NormalizeContext & ReturnType<typeof normalizeTopology>;

export function createContext(input: NormalizeInput, problems: InputProblem[]): NormalizeContext {
  const { doc, scope, resourceName } = input;
  const original = doc.value as RawScenario;
  const at = (path: FieldPath): SourceRef => ({ file: doc.file, ...doc.locate(path) });
  const problem = (path: FieldPath, message: string) => {
    const { line, column } = doc.locate(path);
    problems.push({ file: doc.file, line, column, resource: resourceName, path: formatPath(path), message });
  };
  const render = <T>(value: T, path: FieldPath, withScope: TemplateScope = scope): T => renderValue(value, withScope, (p, message) => problem([...path, ...p], message)) as T;
  const duration = (path: FieldPath, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    try {
      return parseDuration(text);
    } catch (err) {
      problem(path, (err as Error).message);
      return fallback;
    }
  };
  // The loader rendered the document once for the schema; steps keep their source for repeats.
  const raw: RawScenario = { ...(input.rendered as RawScenario), steps: original.steps };
  return { doc, scope, resourceName, problems, raw, at, problem, render, duration };
}
