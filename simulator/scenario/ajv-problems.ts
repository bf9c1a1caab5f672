/**
 * Turns ajv's errors into problems a user can act on: file:line:column, a field path as
 * written in YAML (`steps[1].traffic.executor.rate`) and a sentence instead of a keyword.
 */
import type { ErrorObject } from "ajv";
import type { InputProblem } from "../../common/errors.ts";
import { formatPath, type FieldPath, type SourceDocument } from "../../common/yaml-source.ts";
import { PATTERN_HINTS } from "./schema/index.ts";
import { closest } from "./suggest.ts";

/** Ajv must run with `allErrors: true, verbose: true` so parentSchema and data are present. */
export function schemaProblems(doc: SourceDocument, resource: string, errors: readonly ErrorObject[]): InputProblem[] {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const resourceElsePaths = new Set<string>();
  for (const error of errors) {
    const found = describe(error, doc.value, resourceElsePaths);
    if (!found) continue;
    const key = `${formatPath(found.path)}\u0000${found.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { line, column } = doc.locate(found.path);
    problems.push({ file: doc.file, line, column, resource, path: formatPath(found.path), message: found.message });
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function describe(error: ErrorObject, root: unknown, resourceElsePaths: Set<string>): { path: FieldPath; message: string } | undefined {
  const path = toFieldPath(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const data = error.data;

  // A resource that is neither {file} nor a complete inline object: say so once instead of
  // listing every missing field of the inline form.
  if (error.schemaPath === "#/definitions/resource/else/required") {
    const obj = data as Record<string, unknown>;
    const fields = Object.keys(obj);
    const looksInline = "apiVersion" in obj || "kind" in obj || "metadata" in obj;
    if (!looksInline) {
      if (resourceElsePaths.has(error.instancePath)) return undefined;
      resourceElsePaths.add(error.instancePath);
      const typo = fields.map((f) => (closest(f, ["file"]) ? f : undefined)).find(Boolean);
      const hint = typo ? `; did you mean "file" instead of "${typo}"?` : "";
      return {
        path,
        message: `expected an inline resource (apiVersion, kind, metadata.name) or {file: path}, got fields ${fields.map((f) => `"${f}"`).join(", ") || "none"}${hint}`,
      };
    }
  }

  switch (error.keyword) {
    case "if":
    case "propertyNames":
      return undefined; // summaries of errors reported on their own
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      const known = Object.keys(((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const guess = closest(name, known);
      const suffix = guess ? `; did you mean "${guess}"?` : known.length ? ` (expected one of: ${known.join(", ")})` : "";
      return { path: [...path, name], message: `unknown field "${name}"${suffix}` };
    }
    case "required":
      return { path, message: `missing required field "${String(params.missingProperty)}"` };
    case "type": {
      const pattern = (error.parentSchema as { pattern?: string } | undefined)?.pattern;
      const hint = pattern ? PATTERN_HINTS[pattern] : undefined;
      if (hint && typeof data === "number") {
        return { path, message: `expected ${hint}, got ${data}${hint.includes("duration") ? ` (add a unit: "${data}s" or "${data}ms")` : ""}` };
      }
      return { path, message: `must be ${listOf(String(params.type).split(",").map(article), "or")}, got ${show(data)}` };
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof data === "string" ? closest(data, allowed) : undefined;
      return {
        path,
        message: `must be one of ${allowed.join(", ")}; got ${show(data)}${guess ? ` — did you mean "${guess}"?` : ""}`,
      };
    }
    case "const":
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}, got ${show(data)}` };
    case "pattern": {
      const hint = PATTERN_HINTS[String(params.pattern)] ?? `text matching ${String(params.pattern)}`;
      if (error.propertyName !== undefined) {
        return { path: [...path, error.propertyName], message: `name "${error.propertyName}" must be ${hint}` };
      }
      return { path, message: `expected ${hint}, got ${show(data)}` };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${show(data)}` };
    case "minLength":
      return { path, message: "must not be empty" };
    case "minItems":
      return { path, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}` };
    case "minProperties":
    case "maxProperties":
      return { path, message: propertiesCountMessage(error, data) };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

function propertiesCountMessage(error: ErrorObject, data: unknown): string {
  const schema = error.parentSchema as { properties?: object; description?: string } | undefined;
  const present = Object.keys((data ?? {}) as object);
  if (schema?.properties && error.keyword === "maxProperties") {
    return `holds ${present.join(" and ")} but takes one of them; write each as its own list item`;
  }
  if (schema?.properties) return `is empty; expected one of: ${Object.keys(schema.properties).join(", ")}`;
  return error.keyword === "minProperties" ? "must not be empty" : (error.message ?? "has too many fields");
}

/** `/steps/1/traffic` -> ["steps", 1, "traffic"]; a segment is a number only where the data is an array. */
export function toFieldPath(pointer: string, root: unknown): FieldPath {
  if (pointer === "") return [];
  const out: Array<string | number> = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(part)) {
      out.push(Number(part));
      node = node[Number(part)];
    } else {
      out.push(part);
      node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
    }
  }
  return out;
}

function article(type: string): string {
  return { object: "an object", array: "a list", integer: "an integer", null: "null", boolean: "true or false" }[type] ?? `a ${type}`;
}

function listOf(items: string[], conj: string): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} ${conj} ${items[items.length - 1]}`;
}

export function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
