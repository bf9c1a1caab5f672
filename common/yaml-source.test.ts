import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { parseYamlDocuments, YamlSyntaxError } from "./yaml-source.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const TEXT = `# leading comment
apiVersion: v1
kind: First
spec:
  items:
    - name: a
    - name: b
      weight: 3
---
# the second document
kind: Second
spec:
  nested: {x: 1, y: [10, 20]}
  text: |
    two
    lines
`;

const PATHS = [[], ["kind"], ["spec", "items", 1, "weight"], ["spec", "items", 0], ["spec", "missing", "deeper"], ["spec", "nested", "y", 1], ["spec", "text"]] as const;

describe("parseYamlDocuments", () => {
  it("locates values by path: the value's line and column, else its closest existing parent", () => {
    const [first, second] = parseYamlDocuments(TEXT, "f.yaml");
    expect(first!.value).toEqual({ apiVersion: "v1", kind: "First", spec: { items: [{ name: "a" }, { name: "b", weight: 3 }] } });
    expect(first!.locate(["spec", "items", 1, "weight"])).toEqual({ line: 8, column: 15 });
    expect(first!.locate(["spec", "missing"])).toEqual({ line: 5, column: 3 });
    expect(second!.locate(["kind"])).toEqual({ line: 11, column: 7 });
    expect(second!.locate(["spec", "nested", "y", 1])).toEqual({ line: 13, column: 26 });
  });

  it("locates the same after its syntax trees are collected (parsed again from the text)", async () => {
    const docs = parseYamlDocuments(TEXT, "f.yaml");
    const before = docs.map((d) => PATHS.map((p) => d.locate(p)));
    // A WeakRef read in this job stays alive until the job ends: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(docs.map((d) => PATHS.map((p) => d.locate(p)))).toEqual(before);
  });

  it("names file:line:column of a syntax error", () => {
    expect(() => parseYamlDocuments("a: [1, 2\nb: 3\n", "bad.yaml")).toThrow(YamlSyntaxError);
    expect(() => parseYamlDocuments("a: [1, 2\nb: 3\n", "bad.yaml")).toThrow(/^bad\.yaml:\d+:\d+: /);
  });
});
