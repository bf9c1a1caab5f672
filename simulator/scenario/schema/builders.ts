/**
 * Schema builders for what TypeBox has no builder for, or builds differently from the
 * JSON Schema the loader's error messages are written against: `type: [a, b]` unions
 * (one precise error instead of one per oneOf branch), `enum`, bare `const`, maps through
 * `additionalProperties`, `$ref` into `definitions`. Each emits plain JSON Schema and
 * carries the static type of what it accepts, derived from its parts.
 */
import { type ObjectOptions, type SchemaOptions, type Static, type TObject, type TProperties, type TSchema, type TString, type TUnsafe, Type } from "@sinclair/typebox";
import { DURATION_PATTERN } from "../units.ts";

/** A duration like "10s", checked by pattern so that a number without a unit gets its own hint. */
export const duration = (description: string): TString => Type.String({ pattern: DURATION_PATTERN, description });

/** A string of at least one character. */
export const text = (options: SchemaOptions = {}): TString => Type.String({ minLength: 1, ...options });

/** One of a fixed list of values: `{enum: [...]}`. */
export function oneOfValues<const V extends readonly (string | number)[]>(values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ enum: [...values], ...options });
}

/** Exactly this value: `{const: value}`, without the `type` TypeBox's Literal adds. */
export function constant<const V extends string | number | boolean>(value: V, options: SchemaOptions = {}): TUnsafe<V> {
  return Type.Unsafe<V>({ const: value, ...options });
}

/** An object whose every field is `value`: `{type: object, additionalProperties: value}`. */
export function mapOf<V extends TSchema>(value: V, options: SchemaOptions = {}): TUnsafe<Record<string, Static<V>>> {
  return Type.Unsafe<Record<string, Static<V>>>({ type: "object", ...options, additionalProperties: value });
}

/**
 * An object that takes fields beyond its `properties` (no `additionalProperties: false`), typed
 * so: TypeBox types every object as closed, whatever its schema says.
 */
export function openObject<P extends TProperties>(properties: P, options: ObjectOptions = {}): OpenObject<P> {
  return Type.Object(properties, options) as unknown as OpenObject<P>;
}
type OpenObject<P extends TProperties> = TUnsafe<Static<TObject<P>> & { [field: string]: unknown }> & Pick<TObject<P>, "properties" | "required">;

/** A list with no constraint on its items. */
export const anyList = (options: SchemaOptions = {}): TUnsafe<unknown[]> => Type.Unsafe<unknown[]>({ type: "array", ...options });

/**
 * A value of any of the given schemas' types, as one schema with `type: [a, b]`: the
 * schemas' keywords are merged, so each must have a different `type` and share no other
 * keyword (a number's `minimum` and an object's `properties` apply each to its own type).
 */
export function eitherType<T extends TSchema[]>(schemas: [...T], options: SchemaOptions = {}): TUnsafe<Static<T[number]>> {
  const merged: Record<string, unknown> = { ...options, type: schemas.map((s) => s.type) };
  for (const schema of schemas) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === "type") continue;
      if (key in merged) throw new Error(`eitherType: keyword ${key} appears twice`);
      merged[key] = value;
    }
  }
  return Type.Unsafe<Static<T[number]>>(merged);
}

/** One item or a list of them; a single object is checked as an item (one error, not two). */
export function oneOrList<I extends TSchema>(item: I, options: SchemaOptions = {}): TUnsafe<Static<I> | Static<I>[]> {
  return Type.Unsafe<Static<I> | Static<I>[]>({ ...options, type: ["array", "object"], items: item, if: { type: "object" }, then: item });
}

/** Exactly one of the schemas matches: `{oneOf: [...]}`. */
export function exactlyOne<T extends TSchema[]>(schemas: [...T], options: SchemaOptions = {}): TUnsafe<Static<T[number]>> {
  return Type.Unsafe<Static<T[number]>>({ ...options, oneOf: schemas });
}

/** `{$ref: "#/definitions/<name>"}`, typed as what the definition accepts. */
export function definition<T>(name: string): TUnsafe<T> {
  return Type.Unsafe<T>({ $ref: `#/definitions/${name}` });
}
