/**
 * What every parsed resource shares: identity, the typed spec, and where it came from, so
 * that a problem found later (for example by cross-resource validation) still names file:line.
 */
import type { FieldPath } from "../../common/yaml-source.ts";

export const DEFAULT_NAMESPACE = "default";

export interface ResourceSource {
  file: string;
  /** 1-based position of the value at `path` (relative to the document root). */
  locate(path: FieldPath): { line: number; column: number };
}

export interface ResourceMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Absent on resources built in code. */
  annotations?: Record<string, string>;
}

export interface TypedResource<K extends string, S> {
  kind: K;
  apiVersion: string;
  metadata: ResourceMetadata;
  spec: S;
  source: ResourceSource;
}

/** `Kind/namespace/name`, the store's key. */
export function resourceKey(r: { kind: string; metadata: { namespace: string; name: string } }): string {
  return `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}

/** `Kind/name`, how problems name a resource. */
export function resourceLabel(r: { kind: string; metadata: { name: string } }): string {
  return `${r.kind}/${r.metadata.name}`;
}

/** A source for resources that did not come from a file (built in code, or from a test). */
export function syntheticSource(file: string): ResourceSource {
  return { file, locate: () => ({ line: 1, column: 1 }) };
}
