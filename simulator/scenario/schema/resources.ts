/** Kubernetes-style resources a scenario applies or deletes: inline, or {file: path}. */
import { type Static, type TUnsafe, Type } from "@sinclair/typebox";
import { definition, oneOrList, openObject, text } from "./builders.ts";

const fileReference = Type.Object({ file: Type.String({ minLength: 1, description: "Path relative to the scenario file." }) }, { additionalProperties: false });

const inlineResource = openObject({ apiVersion: text(), kind: text(), metadata: openObject({ name: text(), namespace: Type.Optional(text()) }) });

export type RawResource = Static<typeof fileReference> | Static<typeof inlineResource>;

/**
 * `definitions.resource`. if/then/else rather than oneOf: an object with `file` is a
 * reference and nothing else; any other object must be a complete inline resource, and
 * the loader words that one failure itself (its schemaPath ends in `resource/else/required`).
 */
export const resourceItem: TUnsafe<RawResource> = Type.Unsafe<RawResource>({
  description: "An inline Kubernetes-style object, or {file: path} relative to this scenario (the file may hold several YAML documents).",
  type: "object",
  if: { type: "object", required: ["file"], properties: { file: true } },
  // The fields' keywords only: `if` already asked for an object with `file`, and the outer `type` is the one error for a non-object.
  then: { properties: fileReference.properties, additionalProperties: false },
  else: { required: inlineResource.required, properties: inlineResource.properties },
});

export const resourceRef = definition<RawResource>("resource");

export const resourceList = oneOrList(resourceRef, { description: "One resource or a list; each inline or {file: path}." });
