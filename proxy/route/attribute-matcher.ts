import type { AttributeMatch } from "../config/types.ts";
import type { Metadata } from "../codec/codec.ts";

/** A compiled matcher: one predicate over a message's metadata. */
export type MetadataPredicate = (metadata: Metadata) => boolean;

/**
 * Compiles an attribute match. Regexes match the whole value, as Envoy's safe_regex does;
 * an invalid regex throws so the xDS update carrying it is rejected.
 */
export function compileAttributeMatch(match: AttributeMatch): MetadataPredicate {
  const name = match.name;
  switch (match.kind) {
    case "exact": {
      const value = match.value;
      return (m) => m.get(name) === value;
    }
    case "prefix": {
      const value = match.value;
      return (m) => {
        const v = m.get(name);
        return v?.startsWith(value) === true;
      };
    }
    case "regex": {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${match.value})$`);
      } catch (err) {
        throw new Error(`attribute "${name}": invalid regex ${JSON.stringify(match.value)}: ${(err as Error).message}`);
      }
      return (m) => {
        const v = m.get(name);
        return v !== undefined && re.test(v);
      };
    }
    case "present":
      return (m) => m.has(name);
  }
}
