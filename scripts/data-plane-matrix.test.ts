/**
 * docs/data-planes.md is generated from real runs (`npm run matrix`) and committed; this checks it
 * is not stale in its list of scenarios, and that no shipped scenario fails on either data plane
 * (on Envoy each one passes or is unsupported with a reason).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { projectPath } from "../simulator/runtime/node-command.ts";
import { MATRIX_FILE, matrixScenarios } from "./data-plane-matrix.ts";

const rows = readFileSync(projectPath(MATRIX_FILE), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("| scenarios/"))
  .map((l) => l.split(" | ").map((c) => c.replace(/^\| /, "").trim()));

describe(MATRIX_FILE, () => {
  it("lists exactly the shipped Thrift, Dubbo and Redis scenarios (npm run matrix regenerates it)", () => {
    expect(rows.map((r) => r[0])).toEqual(matrixScenarios());
  });

  it("has every scenario passing on meshsim, and passing or unsupported with a reason on Envoy", () => {
    for (const [file, meshsim, envoy, why] of rows) {
      expect({ file, meshsim: meshsim!.split(" ")[0] }).toEqual({ file, meshsim: "pass" });
      expect({ file, envoy }).toEqual({ file, envoy: expect.stringMatching(/^(pass|unsupported)$/) });
      if (envoy === "unsupported") expect({ file, why }).toEqual({ file, why: expect.stringMatching(/\S/) });
    }
  });
});
