import { describe, expect, it } from "vitest";
import { plainEqual } from "./plain-equal.ts";

describe("plainEqual", () => {
  it("compares nested data by value, whatever the key order", () => {
    expect(plainEqual({ a: [1, { b: "x", c: null }], d: true }, { d: true, a: [1, { c: null, b: "x" }] })).toBe(true);
    expect(plainEqual([], [])).toBe(true);
  });

  it("tells apart values, lengths, kinds and missing keys", () => {
    expect(plainEqual({ a: [1, 2] }, { a: [1, 3] })).toBe(false);
    expect(plainEqual({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(plainEqual({ a: [] }, { a: {} })).toBe(false);
    expect(plainEqual({ a: {} }, { a: [] })).toBe(false);
    expect(plainEqual({ a: 1, b: undefined }, { a: 1, c: undefined })).toBe(false);
    expect(plainEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(plainEqual({ a: "1" }, { a: 1 })).toBe(false);
    expect(plainEqual(null, {})).toBe(false);
  });
});
