/**
 * JSON Schema (draft-07) of scenario files, written with TypeBox so the shape of a
 * scenario as read (normalize/raw-shape.ts) is derived from it rather than restated.
 * The loader validates with it and `scenario.schema.json` (regenerate with `npm run schemas`)
 * is the same object for editors. Unions use `type: [a, b]` instead of oneOf so that a
 * mistake produces one precise error rather than one per branch (see builders.ts).
 */
import { type Static, Type } from "@sinclair/typebox";
import { BANDWIDTH_PATTERN, DURATION_PATTERN, RATE_PATTERN } from "../units.ts";
import { constant, eitherType, mapOf } from "./builders.ts";
import { resourceItem, resourceRef } from "./resources.ts";
import { NAME_PATTERN, step, steps } from "./steps.ts";
import { DNS_LABEL, rateLimitDescriptor, topology } from "./topology.ts";

const VAR_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

export const SCENARIO_SCHEMA = Type.Object(
  {
    apiVersion: constant("meshsim.dev/v1alpha1"),
    kind: constant("Scenario"),
    metadata: Type.Object(
      {
        name: Type.String({ pattern: NAME_PATTERN, description: "Used in report names." }),
        tags: Type.Optional(Type.Array(Type.String())),
        description: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    topology,
    vars: Type.Optional(
      mapOf(eitherType([Type.String(), Type.Number(), Type.Boolean()]), {
        description: "Template variables: {{ name }} in any value or file: name; --var name=value overrides.",
        propertyNames: { pattern: VAR_NAME_PATTERN },
      }),
    ),
    resources: Type.Optional(Type.Array(resourceRef, { description: "Applied before the first step." })),
    steps,
  },
  {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://meshsim.dev/schemas/scenario.v1alpha1.json",
    title: "meshsim scenario",
    additionalProperties: false,
    definitions: { resource: resourceItem, step, rateLimitDescriptor },
  },
);

export type RawScenarioDocument = Static<typeof SCENARIO_SCHEMA>;

/** Human wording for the schema's patterns, keyed by the pattern itself. */
export const PATTERN_HINTS: Record<string, string> = {
  [DURATION_PATTERN]: 'a duration like "10s", "500ms" or "2m"',
  [RATE_PATTERN]: 'a rate like "500/s" or "30000/m" (or a number per second)',
  [BANDWIDTH_PATTERN]: 'a bandwidth like "64KiB/s", "1MB/s" or "500B/s"',
  [VAR_NAME_PATTERN]: "letters, digits and '_' (a variable name)",
  [DNS_LABEL]: "lowercase letters, digits and '-' (a DNS label)",
  [NAME_PATTERN]: "letters, digits, '.', '_' and '-'",
};
