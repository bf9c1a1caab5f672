/**
 * docs/conformance.md names, for every shipped scenario, the test that shows it failing with its
 * bug: it must list every scenario, and every test file it names must exist.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { expandYamlArgs } from "./cli.ts";
import { projectPath } from "./runtime/node-command.ts";
import { isScenarioFile } from "./scenario/loader.ts";

const DOC = readFileSync(projectPath("docs/conformance.md"), "utf8");

describe("docs/conformance.md", () => {
  it("has a row for every shipped scenario", () => {
    const scenarios = expandYamlArgs([projectPath("scenarios")])
      .filter(isScenarioFile)
      .map((f) => relative(projectPath("scenarios"), f));
    expect(scenarios.length).toBeGreaterThan(40);
    expect(scenarios.filter((s) => !DOC.includes(`| \`${s}\` |`))).toEqual([]);
  });

  it("names only test files that exist", () => {
    const named = [...DOC.matchAll(/`((?:simulator|proxy|fixtures|scripts)\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((f) => !existsSync(projectPath(f)))).toEqual([]);
  });
});
