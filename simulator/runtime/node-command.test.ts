/** Bundles of entry points: rebuilt when a file they are built from changes, and only then. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bundleIn } from "./node-command.ts";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A small project: an entry point importing a module from another folder, and an unrelated file. */
function project(): string {
  root = `${mkdtempSync(join(tmpdir(), "meshsim-bundle-"))}/`;
  mkdirSync(join(root, "app"));
  mkdirSync(join(root, "lib"));
  writeFileSync(join(root, "app/main.ts"), `import { greet } from "../lib/greet.ts";\nconsole.log(greet("x"));\n`);
  writeFileSync(join(root, "lib/greet.ts"), `export const greet = (who: string): string => "hello " + who;\n`);
  writeFileSync(join(root, "lib/unrelated.ts"), `export const n = 1;\n`);
  return root;
}

/** Moves a file's mtime, as an edit does. */
function touch(path: string, seconds: number): void {
  const when = new Date(Date.now() + seconds * 1000);
  utimesSync(path, when, when);
}

describe("bundleIn", () => {
  it("names the bundle after the files it was built from, with its map beside it", () => {
    const dir = project();
    const bundle = bundleIn(dir, "app/main.ts");
    expect(basename(bundle)).toMatch(/^app-main-[0-9a-f]{12}\.mjs$/);
    expect(JSON.parse(readFileSync(join(dir, ".cache/bundles/app-main.inputs.json"), "utf8"))).toEqual(["app/main.ts", "lib/greet.ts"]);
    expect(readFileSync(bundle, "utf8").trimEnd().split("\n").at(-1)).toBe(`//# sourceMappingURL=${basename(bundle)}.map`);
    expect(JSON.parse(readFileSync(`${bundle}.map`, "utf8")).sources.sort()).toEqual(["../../app/main.ts", "../../lib/greet.ts"]);
    expect(bundleIn(dir, "app/main.ts")).toBe(bundle);
  });

  it("keeps the bundle when a file it does not import changes, and builds another when an imported one does", () => {
    const dir = project();
    const first = bundleIn(dir, "app/main.ts");
    touch(join(dir, "lib/unrelated.ts"), 60);
    expect(bundleIn(dir, "app/main.ts")).toBe(first);
    writeFileSync(join(dir, "lib/greet.ts"), `export const greet = (who: string): string => "hi " + who;\n`);
    touch(join(dir, "lib/greet.ts"), 120);
    const second = bundleIn(dir, "app/main.ts");
    expect(second).not.toBe(first);
    expect(readFileSync(second, "utf8")).toContain('"hi "');
  });

  it("follows an import added since the last build", () => {
    const dir = project();
    const first = bundleIn(dir, "app/main.ts");
    writeFileSync(join(dir, "app/main.ts"), `import { greet } from "../lib/greet.ts";\nimport { n } from "../lib/unrelated.ts";\nconsole.log(greet("x"), n);\n`);
    touch(join(dir, "app/main.ts"), 60);
    expect(bundleIn(dir, "app/main.ts")).not.toBe(first);
    expect(JSON.parse(readFileSync(join(dir, ".cache/bundles/app-main.inputs.json"), "utf8"))).toEqual(["app/main.ts", "lib/greet.ts", "lib/unrelated.ts"]);
    // Now it is an input: its edits make a new bundle.
    const second = bundleIn(dir, "app/main.ts");
    touch(join(dir, "lib/unrelated.ts"), 120);
    expect(bundleIn(dir, "app/main.ts")).not.toBe(second);
  });
});
