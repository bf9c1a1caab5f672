import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { loadFilesIntoStore } from "./file-source.ts";
import { MemoryStore, type StoreChange } from "./memory-store.ts";

const testdata = fileURLToPath(new URL("../testdata/", import.meta.url));

describe("memory store", () => {
  it("applies, replaces and deletes by kind/namespace/name with change events", () => {
    const store = new MemoryStore();
    const changes: StoreChange[] = [];
    store.onChange((c) => changes.push(c));
    const keys = loadFilesIntoStore(store, [`${testdata}thrift-hello.yaml`]);
    expect(keys).toContain("MetaRouter/meta-thrift/hello");
    expect(store.list()).toHaveLength(4);
    store.apply([store.get("MetaRouter", "meta-thrift", "hello")!]);
    expect(store.list()).toHaveLength(4);
    expect(store.delete("MetaRouter", "meta-thrift", "hello")).toBe(true);
    expect(store.delete("MetaRouter", "meta-thrift", "hello")).toBe(false);
    expect(changes.map((c) => [c.applied.length, c.deleted])).toEqual([
      [4, []],
      [1, []],
      [0, ["MetaRouter/meta-thrift/hello"]],
    ]);
  });

  it("refuses invalid files as a whole", () => {
    const store = new MemoryStore();
    expect(() => loadFilesIntoStore(store, [`${testdata}invalid-meta-router.yaml`])).toThrow(InvalidInputError);
    expect(store.list()).toEqual([]);
  });
});
