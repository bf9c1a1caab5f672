/** Multi-document Kubernetes-style YAML → typed resources, with every problem located. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InputProblem } from "../../common/errors.ts";
import { parseYamlDocuments, YamlSyntaxError, type SourceDocument } from "../../common/yaml-source.ts";
import { FieldReader } from "./field-reader.ts";
import { isResourceKind, KINDS, type Resource } from "./kinds.ts";
import { DEFAULT_NAMESPACE, type ResourceSource } from "./resource.ts";
import { validateResources } from "./validate.ts";

export interface ParseResult {
  resources: Resource[];
  problems: InputProblem[];
}

/**
 * Parses every document of `text`. Shape problems (missing or mistyped fields, unknown kind or
 * apiVersion) are returned as problems; cross-resource checks are `validateResources`'s job.
 */
export function parseResources(text: string, file: string): ParseResult {
  let docs: SourceDocument[];
  try {
    docs = parseYamlDocuments(text, file);
  } catch (err) {
    if (err instanceof YamlSyntaxError) {
      return { resources: [], problems: [{ file, line: err.line, column: err.column, resource: "", path: "", message: err.reason }] };
    }
    throw err;
  }
  const resources: Resource[] = [];
  const problems: InputProblem[] = [];
  for (const doc of docs) {
    const resource = parseResourceDocument(doc, problems);
    if (resource) resources.push(resource);
  }
  return { resources, problems };
}

/**
 * One already-parsed YAML document (for example a resource inlined in a scenario) → a typed
 * resource, or undefined when it is unusable; every problem found is appended to `problems`.
 */
export function parseResourceDocument(doc: SourceDocument, problems: InputProblem[]): Resource | undefined {
  const source: ResourceSource = { file: doc.file, locate: (path) => doc.locate(path) };
  const value = doc.value;
  const early = new FieldReader(source, "", problems);
  const root = early.object(value, [], true);
  if (!root) return undefined;
  const kind = early.string(root.kind, ["kind"], true);
  const apiVersion = early.string(root.apiVersion, ["apiVersion"], true);
  const metadata = early.object(root.metadata, ["metadata"], true);
  const name = metadata ? early.string(metadata.name, ["metadata", "name"], true) : undefined;
  if (kind === undefined || apiVersion === undefined) return undefined;
  const r = new FieldReader(source, `${kind}/${name ?? "?"}`, problems);
  if (!isResourceKind(kind)) {
    // A repository's other Kubernetes objects (ConfigMaps, Secrets, Jobs ...) are not mesh
    // configuration: skipped, as a mesh control plane in a cluster ignores them.
    if (isKubernetesBuiltIn(apiVersion)) return undefined;
    r.problem(["kind"], `unknown kind "${kind}" (known: ${Object.keys(KINDS).join(", ")})`);
    return undefined;
  }
  const info = KINDS[kind];
  if (!info.apiVersions.includes(apiVersion)) {
    r.problem(["apiVersion"], `unknown apiVersion "${apiVersion}" for ${kind} (known: ${info.apiVersions.join(", ")})`);
    return undefined;
  }
  if (name === undefined || !metadata) return undefined;
  const namespace = r.string(metadata.namespace, ["metadata", "namespace"], false) || DEFAULT_NAMESPACE;
  const labels = r.stringMap(metadata.labels, ["metadata", "labels"]);
  const annotations = r.stringMap(metadata.annotations, ["metadata", "annotations"]);
  const spec = r.object(root.spec, ["spec"], true);
  if (!spec) return undefined;
  const meta = { name, namespace, labels, annotations };
  return {
    kind,
    apiVersion,
    metadata: meta,
    spec: info.parseSpec(spec, r, meta),
    source,
  } as Resource;
}

const BUILT_IN_GROUPS = new Set(["apps", "batch", "autoscaling", "policy", "extensions"]);

/** Core (`v1`) and the built-in API groups (`apps/v1`, `*.k8s.io/...`). */
function isKubernetesBuiltIn(apiVersion: string): boolean {
  const slash = apiVersion.indexOf("/");
  if (slash < 0) return true;
  const group = apiVersion.slice(0, slash);
  return BUILT_IN_GROUPS.has(group) || group.endsWith(".k8s.io");
}

/** Expands directories (non-recursively) to their *.yaml / *.yml files, sorted by name. */
export function expandResourcePaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

/** Reads, parses and validates files and directories; never throws for bad content. */
export function loadResourceFiles(paths: readonly string[]): ParseResult {
  const resources: Resource[] = [];
  const problems: InputProblem[] = [];
  for (const file of expandResourcePaths(paths)) {
    const result = parseResources(readFileSync(file, "utf8"), file);
    resources.push(...result.resources);
    problems.push(...result.problems);
  }
  problems.push(...validateResources(resources));
  return { resources, problems };
}
