/**
 * Resolves resource lists (`resources`, `steps[i].apply`, `steps[i].delete`): inline
 * objects stay where they are written, `{file: path}` entries are read relative to the
 * scenario file and may hold several YAML documents. Every resource keeps its source.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, isAbsolute } from "node:path";
import type { InputProblem } from "../../common/errors.ts";
import { formatPath, parseYamlDocuments, YamlSyntaxError, type FieldPath, type SourceDocument } from "../../common/yaml-source.ts";
import { renderValue, type TemplateScope } from "./template.ts";
import type { ScenarioResource } from "./types.ts";

/**
 * Resolves one resource list (`resources`, `steps[i].apply`, ...) whose value sits at `listPath`
 * in `doc` and has already been rendered with `scope`; included files are rendered with the same
 * scope. Tolerant of shapes the schema rejects.
 */
export async function resolveResourceList(
  doc: SourceDocument,
  scenarioResource: string,
  listPath: FieldPath,
  value: unknown,
  scope: TemplateScope,
  problems: InputProblem[],
): Promise<ScenarioResource[]> {
  const items: Array<[FieldPath, unknown]> = Array.isArray(value) ? value.map((item, i) => [[...listPath, i], item]) : [[listPath, value]];
  const resources: ScenarioResource[] = [];
  for (const [itemPath, item] of items) resources.push(...(await resolveItem(doc, scenarioResource, itemPath, item, scope, problems)));
  return resources;
}

async function resolveItem(doc: SourceDocument, scenarioResource: string, itemPath: FieldPath, item: unknown, scope: TemplateScope, problems: InputProblem[]): Promise<ScenarioResource[]> {
  const obj = asRecord(item);
  if (!obj) return [];
  if (typeof obj.file !== "string") {
    const resource = toResource(obj, (p) => doc.locate([...itemPath, ...p]), doc.file);
    return resource ? [resource] : []; // the schema reports incomplete inline objects
  }
  const includePath = isAbsolute(obj.file) ? obj.file : join(dirname(doc.file), obj.file);
  const at = doc.locate([...itemPath, "file"]);
  const problem = (message: string, where = at, file = doc.file, resource = scenarioResource, path = formatPath([...itemPath, "file"])) =>
    problems.push({ file, line: where.line, column: where.column, resource, path, message });
  let text: string;
  try {
    text = await readFile(includePath, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem(code === "ENOENT" ? `included file "${obj.file}" not found (looked for ${includePath})` : `cannot read "${obj.file}": ${(err as Error).message}`);
    return [];
  }
  let docs: SourceDocument[];
  try {
    docs = parseYamlDocuments(text, includePath);
  } catch (err) {
    if (err instanceof YamlSyntaxError) {
      problem(`YAML syntax error: ${err.reason}`, { line: err.line, column: err.column }, includePath, obj.file, "");
      return [];
    }
    throw err;
  }
  if (docs.length === 0) problem(`included file "${obj.file}" holds no YAML documents`);
  const out: ScenarioResource[] = [];
  for (const included of docs) {
    const value = asRecord(
      renderValue(included.value, scope, (path, message) => {
        const where = included.locate(path);
        problem(message, where, includePath, String(obj.file), formatPath(path));
      }),
    );
    const resource = value ? toResource(value, (p) => included.locate(p), includePath) : undefined;
    if (resource) {
      out.push(resource);
      continue;
    }
    const missing = ["apiVersion", "kind", "metadata.name"].filter((f) => typeof valueAt(value ?? {}, f.split(".")) !== "string");
    const where = included.locate([]);
    problem(
      value ? `not a Kubernetes-style resource: missing ${missing.join(", ")}` : "expected a YAML mapping (a Kubernetes-style resource)",
      where,
      includePath,
      `${typeof value?.kind === "string" ? value.kind : "?"}/${typeof asRecord(value?.metadata)?.name === "string" ? String(asRecord(value?.metadata)?.name) : "?"}`,
      "",
    );
  }
  return out;
}

function toResource(obj: Record<string, unknown>, locate: ScenarioResource["source"]["locate"], file: string): ScenarioResource | undefined {
  const metadata = asRecord(obj.metadata);
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string" || typeof metadata?.name !== "string") return undefined;
  const { line, column } = locate([]);
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: metadata.name,
    ...(typeof metadata.namespace === "string" ? { namespace: metadata.namespace } : {}),
    object: obj,
    source: { file, line, column, locate },
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}
