/**
 * The shipped mirror scenarios check that copies arrived at the mirror target, by the target's
 * own count: with the target unreachable (every connection into it reset) each fails on those
 * expectations, while the primary traffic still passes. Before the copies were checked where
 * they land, these runs passed: the sidecar counted a copy before sending it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { withMirrorTargetDown } from "./testing/mirror-target-down.ts";

const dir = await mkdtemp(join(tmpdir(), "meshsim-mirror-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const CASES = [
  { file: "scenarios/thrift/mirror.yaml", target: "hello-v2-0", arrived: "eventually metric service hello v2 received.sayHello == 500", step: "all mirrored" },
  { file: "scenarios/dubbo/mirror.yaml", target: "hello-v2-0", arrived: "eventually metric service hello v2 received.sayHello == 500", step: "all mirrored" },
  { file: "scenarios/redis/mirror.yaml", target: "shadow", arrived: "eventually metric service shadow received.set == 400", step: "writes at 100%" },
];

describe.each(CASES)("$file with the mirror target down", ({ file, target, arrived, step: name }) => {
  it("fails on the copies that did not arrive, and on nothing else", async () => {
    const summary = await runScenario(await withMirrorTargetDown(dir, file, target, name), { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(summary.passed).toBe(false);
    const step = summary.steps.find((s) => s.name === name)!;
    const failed = step.expectations.filter((e) => !e.passed).map((e) => e.name);
    expect(failed).toHaveLength(3);
    expect(failed).toContain(arrived);
    expect(failed.find((n) => n.startsWith("eventually metric"))).toMatch(/\.mirror_rq_completed == \d+$/);
    expect(failed.find((n) => n.includes(".mirror_rq_failed"))).toMatch(/\.mirror_rq_failed == 0$/);
    // The primary path is untouched.
    expect(step.expectations.filter((e) => e.passed).map((e) => e.name)).toContain("success rate");
  });
});
