import { describe, expect, it } from "vitest";
import { evaluate, parseVarValue, renderString, renderValue, TemplateError } from "./template.ts";

describe("templates", () => {
  it("evaluates names, numbers and arithmetic with precedence", () => {
    expect(evaluate(" i * 10 ", { i: 3 })).toBe(30);
    expect(evaluate("100 - i * stride", { i: 2, stride: 25 })).toBe(50);
    expect(evaluate("(a + b) % 4", { a: 3, b: 2 })).toBe(1);
    expect(evaluate("-x / 4", { x: 2 })).toBe(-0.5);
    expect(evaluate("0.1 + 0.2", {})).toBe(0.3);
    expect(evaluate("name", { name: "v2" })).toBe("v2");
  });

  it("keeps the value's type for a whole-string template and splices text otherwise", () => {
    expect(renderString("{{ i * 10 }}", { i: 2 })).toBe(20);
    expect(renderString("shift-{{ i * 10 }}.yaml", { i: 2 })).toBe("shift-20.yaml");
    expect(renderString("{{ rate }}", { rate: "500/s" })).toBe("500/s");
    expect(renderString("{{ a }}-{{ b }}", { a: 1, b: 2 })).toBe("1-2");
    expect(renderString("no template", {})).toBe("no template");
  });

  it("renders nested values and reports the path of a broken template", () => {
    const errors: string[] = [];
    const out = renderValue({ a: ["{{ x }}", { b: "{{ nope }}" }] }, { x: 1 }, (path, message) => errors.push(`${path.join(".")}: ${message}`));
    expect(out).toEqual({ a: [1, { b: "{{ nope }}" }] });
    expect(errors).toEqual(['a.1.b: {{ nope }}: unknown name "nope" (known: x)']);
  });

  it.each([
    ["1 +", /ends too early/],
    ["a $ b", /unexpected "\$"/],
    ["1 / 0", /division by zero/],
    ["(1 + 2", /missing "\)"/],
    ["name * 2", /needs numbers/],
    ["", /empty/],
  ])("rejects %s", (expr, reason) => {
    expect(() => evaluate(expr, { a: 1, b: 2, name: "x" })).toThrow(TemplateError);
    expect(() => evaluate(expr, { a: 1, b: 2, name: "x" })).toThrow(reason);
  });

  it("types --var values", () => {
    expect(parseVarValue("10")).toBe(10);
    expect(parseVarValue("2.5")).toBe(2.5);
    expect(parseVarValue("true")).toBe(true);
    expect(parseVarValue("500/s")).toBe("500/s");
  });
});
