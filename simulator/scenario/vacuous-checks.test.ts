/** Validation rejects checks that hold whatever happens, naming the line and field. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scenarioProblems } from "./loader.ts";

const dir = mkdtempSync(join(tmpdir(), "meshsim-vacuous-"));

async function problems(expect: string): Promise<string[]> {
  const file = join(dir, "s.yaml");
  writeFileSync(
    file,
    `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: vacuous, tags: [a]}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090, versions: {v1: {}, v2: {}}}
  clients:
    - {name: caller, protocol: thrift}
steps:
  - traffic: {from: caller, to: hello, executor: {type: constant-arrival-rate, rate: 10/s, count: 10}}
    expect:
${expect}`,
  );
  return (await scenarioProblems(file)).map((p) => `${p.line} ${p.path}: ${p.message.replace(/: .*$/, "")}`);
}

describe("checks that cannot fail", () => {
  it("are rejected wherever they are written", async () => {
    const found = await problems(`      - successRate: 0
      - successRate: {min: 0}
      - thresholds: ["p(99) < 20ms", "p(99) >= 0ms"]
      - thresholds: ["rate <= 100%"]
      - errors: {timeout: 0, total: {min: 0}}
      - connections: {opened: {min: 0}}
      - distribution: {by: version, expected: {v1: 0.5, v2: 0.5}, tolerance: 1}
      - eventually: {within: 1s, successRate: 0}
`);
    expect(found).toEqual([
      "12 steps[0].expect[0].successRate: this check cannot fail",
      "13 steps[0].expect[1].successRate: this check cannot fail",
      "14 steps[0].expect[2].thresholds: this check cannot fail",
      "15 steps[0].expect[3].thresholds: this check cannot fail",
      "16 steps[0].expect[4].errors.total: this check cannot fail",
      "17 steps[0].expect[5].connections.opened: this check cannot fail",
      "18 steps[0].expect[6].distribution.tolerance: this check cannot fail",
      "19 steps[0].expect[7].eventually.successRate: this check cannot fail",
    ]);
  });

  it("leave checks that some outcome breaks alone", async () => {
    expect(
      await problems(`      - successRate: {min: 0.5}
      - thresholds: ["rate < 1%", "p(99) > 0ms", "max <= 1s"]
      - errors: {total: {max: 3}, timeout: {min: 1}, no_route: 0}
      - connections: {opened: {min: 1}}
`),
    ).toEqual([]);
  });
});
