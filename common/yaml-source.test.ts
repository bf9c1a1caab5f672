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

  const STREAMS: Record<string, string> = {
    "block documents with comments": TEXT,
    "an indented root map": "---\n  a: 1\n  b:\n    c: 2\n",
    "an indented root sequence after a document": "x: 1\n---\n  - {a: 1}\n  - [2, 3]\n",
    "a %TAG directive and a tagged root": "x: 1\n...\n%TAG !e! tag:example.com,2000:\n---\n!e!thing\na: 1\nb: !e!inner\n  c: [1, 2]\n",
    "CRLF line ends": "a: 1\r\nb:\r\n  c: 2\r\n---\r\nd: [1, 2]\r\n",
  };
  const ALL_PATHS = [...PATHS, ["a"], ["b", "c"], ["b", "c", 1], [0], [1, 1], ["d", 1]] as const;

  for (const [name, text] of Object.entries(STREAMS)) {
    it(`locates the same after its syntax trees are collected (parsed again from the text): ${name}`, async () => {
      const docs = parseYamlDocuments(text, "f.yaml");
      const before = docs.map((d) => ALL_PATHS.map((p) => d.locate(p)));
      // Something beyond the first line is found, or the comparison below would prove little.
      expect(before.flat().some((pos) => pos.line > 2)).toBe(true);
      // A WeakRef read in this job stays alive until the job ends: collect in a later one.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      expect(docs.map((d) => ALL_PATHS.map((p) => d.locate(p)))).toEqual(before);
    });
  }

  it("names file:line:column of a syntax error", () => {
    expect(() => parseYamlDocuments("a: [1, 2\nb: 3\n", "bad.yaml")).toThrow(YamlSyntaxError);
    expect(() => parseYamlDocuments("a: [1, 2\nb: 3\n", "bad.yaml")).toThrow(/^bad\.yaml:\d+:\d+: /);
  });
});
