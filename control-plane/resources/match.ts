/**
 * Aeraki's `MetaRouteMatch`: `attributes` maps a metadata key to exactly one of exact, prefix
 * or regex; an empty value checks only that the key is present. Shared by routes and by the
 * rate limit conditions.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface AttributesMatch {
  attributes: Record<string, StringMatch>;
}

const MATCH_FORMS = ["exact", "prefix", "regex"] as const;

export function parseMatch(raw: unknown, path: FieldPath, r: FieldReader, required = false): AttributesMatch | undefined {
  const match = r.object(raw, path, required);
  if (!match) return undefined;
  const attrs = r.object(match.attributes, [...path, "attributes"], false) ?? {};
  const attributes: Record<string, StringMatch> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const attrPath = [...path, "attributes", key];
    if (key === "") r.problem(attrPath, "attribute name must not be empty");
    const m = r.object(value, attrPath, true);
    if (!m) continue;
    const forms = MATCH_FORMS.filter((f) => m[f] !== undefined);
    if (forms.length !== 1) {
      r.problem(attrPath, "must have exactly one of exact, prefix, regex");
      continue;
    }
    const form = forms[0]!;
    const v = r.string(m[form], [...attrPath, form], false);
    if (v === undefined) continue;
    attributes[key] = { [form]: v } as StringMatch;
  }
  return { attributes };
}

/** Problems with the regexes of a match (they must compile). */
export function checkMatchRegexes(match: AttributesMatch | undefined, path: FieldPath, r: FieldReader): void {
  for (const [key, m] of Object.entries(match?.attributes ?? {})) {
    if (!("regex" in m)) continue;
    try {
      new RegExp(m.regex);
    } catch (err) {
      r.problem([...path, "attributes", key, "regex"], `regex does not compile: ${(err as Error).message}`);
    }
  }
}

export function stringMatchValue(m: StringMatch): string {
  return "exact" in m ? m.exact : "prefix" in m ? m.prefix : m.regex;
}
