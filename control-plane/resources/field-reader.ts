/**
 * Reads loosely typed YAML values into typed fields, recording an InputProblem (with file,
 * line and field path) for every value that is missing or of the wrong type. Readers never
 * throw: a resource with problems is still returned as far as it could be read, so that one
 * run reports every problem at once.
 */
import type { InputProblem } from "../../common/errors.ts";
import { formatPath, type FieldPath } from "../../common/yaml-source.ts";
import type { ResourceSource } from "./resource.ts";

export class FieldReader {
  constructor(
    readonly source: ResourceSource,
    /** `Kind/name` */
    readonly resource: string,
    readonly problems: InputProblem[],
  ) {}

  problem(path: FieldPath, message: string): void {
    const { line, column } = this.source.locate(path);
    this.problems.push({ file: this.source.file, line, column, resource: this.resource, path: formatPath(path), message });
  }

  object(value: unknown, path: FieldPath, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "required field is missing");
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value)) {
      this.problem(path, "must be a mapping");
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  string(value: unknown, path: FieldPath, required: boolean): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "required field is missing");
      return undefined;
    }
    if (typeof value !== "string") {
      this.problem(path, "must be a string");
      return undefined;
    }
    if (required && value === "") {
      this.problem(path, "must not be empty");
      return undefined;
    }
    return value;
  }

  integer(value: unknown, path: FieldPath, required: boolean, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "required field is missing");
      return undefined;
    }
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.problem(path, "must be an integer");
      return undefined;
    }
    if (value < min || value > max) {
      this.problem(path, `must be between ${min} and ${max}`);
      return undefined;
    }
    return value;
  }

  array(value: unknown, path: FieldPath, required: boolean): unknown[] | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "required field is missing");
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.problem(path, "must be a list");
      return undefined;
    }
    if (required && value.length === 0) {
      this.problem(path, "must not be empty");
      return undefined;
    }
    return value;
  }

  stringList(value: unknown, path: FieldPath, required: boolean): string[] {
    const items = this.array(value, path, required) ?? [];
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = this.string(item, [...path, i], true);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** A mapping of string keys to string values (labels). Numbers and booleans are accepted as strings. */
  stringMap(value: unknown, path: FieldPath): Record<string, string> {
    const obj = this.object(value, path, false);
    const out: Record<string, string> = {};
    if (!obj) return out;
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
      else this.problem([...path, k], "must be a string");
    }
    return out;
  }

  /** A finite number (YAML integers and floats), optionally bounded; `exclusiveMin` makes `min` open. */
  number(value: unknown, path: FieldPath, required: boolean, min = -Infinity, max = Infinity, exclusiveMin = false): number | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "required field is missing");
      return undefined;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.problem(path, "must be a number");
      return undefined;
    }
    if ((exclusiveMin ? value <= min : value < min) || value > max) {
      this.problem(path, `must be in ${exclusiveMin ? "(" : "["}${min}, ${max}]`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") {
      this.problem(path, "must be true or false");
      return undefined;
    }
    return value;
  }

  /** One of `allowed` (an enum written as a string). */
  oneOf<T extends string>(value: unknown, path: FieldPath, allowed: readonly T[], required: boolean): T | undefined {
    const s = this.string(value, path, required);
    if (s === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(s)) {
      this.problem(path, `must be one of ${allowed.join(", ")}, found "${s}"`);
      return undefined;
    }
    return s as T;
  }

  /** A protobuf Duration as written in YAML ("100ms", "1.5s", "2m", "1h30m") → milliseconds. */
  duration(value: unknown, path: FieldPath, required: boolean): number | undefined {
    const s = this.string(value, path, required);
    if (s === undefined) return undefined;
    const ms = parseDuration(s);
    if (ms === undefined) this.problem(path, `"${s}" is not a duration (e.g. 100ms, 1.5s, 2m, 1h)`);
    return ms;
  }
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** Go/protobuf duration syntax → milliseconds; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(n) * DURATION_UNITS[unit!]!;
  return total;
}
