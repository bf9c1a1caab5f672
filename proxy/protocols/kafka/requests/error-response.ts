/**
 * A protocol-correct error response body for any API and version, written from the broker's own
 * response definitions (response-schemas.ts): every ErrorCode field carries the error, arrays are
 * empty unless a filler provides their elements (Produce answers per partition of the request),
 * every other field has its default. Kafka clients parse it like a broker's answer.
 */
import type { Writer } from "../wire.ts";
import { RESPONSE_SCHEMAS, type ResponseField } from "./response-schemas.ts";

/** Field values by name; arrays hold one Values object per element. */
export type Values = { [name: string]: number | bigint | string | boolean | null | Buffer | Values[] | undefined };

export function writeErrorBody(w: Writer, apiKey: number, version: number, flexible: boolean, errorCode: number, message: string, values: Values = {}): boolean {
  const schema = RESPONSE_SCHEMAS[apiKey];
  if (schema === undefined) return false;
  writeStruct(w, schema, version, flexible, errorCode, message, values);
  return true;
}

function writeStruct(w: Writer, fields: ResponseField[], version: number, flexible: boolean, errorCode: number, message: string, values: Values): void {
  for (const [name, type, min, max, nmin, nmax, def, children] of fields) {
    if (version < min || version > max) continue;
    const nullable = version >= nmin && version <= nmax;
    const value = values[name];
    switch (type) {
      case "[]": {
        const items = Array.isArray(value) ? value : [];
        w.arrayLength(items.length, flexible);
        for (const item of items) writeStruct(w, children!, version, flexible, errorCode, message, item);
        break;
      }
      case "{}":
        if (nullable) w.int8(-1);
        else writeStruct(w, children!, version, flexible, errorCode, message, {});
        break;
      case "int8":
        w.int8(numberOf(value, name, def, errorCode));
        break;
      case "int16":
        w.int16(numberOf(value, name, def, errorCode));
        break;
      case "uint16":
        w.uint16(numberOf(value, name, def, errorCode));
        break;
      case "int32":
        w.int32(numberOf(value, name, def, errorCode));
        break;
      case "uint32":
        w.uint32(numberOf(value, name, def, errorCode));
        break;
      case "int64":
        w.int64(typeof value === "bigint" ? value : BigInt(numberOf(value, name, def, errorCode)));
        break;
      case "float64":
        w.float64(numberOf(value, name, def, errorCode));
        break;
      case "bool":
        w.int8(value === true || def === true || def === "true" ? 1 : 0);
        break;
      case "uuid":
        if (Buffer.isBuffer(value) && value.length === 16) w.raw(value);
        else w.zeros(16);
        break;
      case "string": {
        let s: string | null = typeof value === "string" ? value : null;
        if (s === null && name === "ErrorMessage" && nullable) s = message;
        if (s === null && !nullable) s = typeof def === "string" && def !== "null" ? def : "";
        w.string(s, flexible);
        break;
      }
      case "bytes":
      case "records":
        w.bytes(Buffer.isBuffer(value) ? value : nullable ? null : Buffer.alloc(0), flexible);
        break;
      default: {
        if (!type.startsWith("[]")) throw new Error(`response field ${name}: unknown type ${type}`);
        // An array of a primitive type ([]int32, []string ...): empty unless given.
        const items = Array.isArray(value) ? (value as unknown as Array<number | string>) : [];
        w.arrayLength(items.length, flexible);
        for (const item of items) {
          if (typeof item === "string") w.string(item, flexible);
          else if (type === "[]int64") w.int64(BigInt(item));
          else if (type === "[]int16") w.int16(item);
          else w.int32(item);
        }
      }
    }
  }
  if (flexible) w.emptyTaggedFields();
}

function numberOf(value: Values[string], name: string, def: ResponseField[6], errorCode: number): number {
  if (typeof value === "number") return value;
  if (name === "ErrorCode") return errorCode;
  if (typeof def === "number") return def;
  if (typeof def === "string" && /^-?\d+$/.test(def)) return Number(def);
  return 0;
}

const FIXED_SIZE: Record<string, number> = { int8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 };

/**
 * Where the response's top-level ErrorCode sits in the body when only fixed-size fields precede
 * it (ThrottleTimeMs, ...): its offset from the body start, or -1. Cached per API and version.
 */
const offsets = new Map<number, number>();
export function topLevelErrorOffset(apiKey: number, version: number): number {
  const key = apiKey * 1000 + version;
  let cached = offsets.get(key);
  if (cached !== undefined) return cached;
  cached = -1;
  let at = 0;
  for (const [name, type, min, max] of RESPONSE_SCHEMAS[apiKey] ?? []) {
    if (version < min || version > max) continue;
    if (name === "ErrorCode" && type === "int16") {
      cached = at;
      break;
    }
    const size = FIXED_SIZE[type];
    if (size === undefined) break;
    at += size;
  }
  offsets.set(key, cached);
  return cached;
}
