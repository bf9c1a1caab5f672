/**
 * The Kafka scenarios in scenarios/kafka/ run end to end (real brokers, the control plane, a
 * sidecar configured over xDS, kafkajs producers), and their assertions can fail: with its policy
 * taken out, a policy scenario fails. Topic-prefix routing to a second Kafka cluster is in
 * kafka-topic-routing.test.ts.
 */
import { describe, expect, it } from "vitest";
import { kafkaLibMissing } from "../fixtures/kafka/broker.ts";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario } from "./scenario/types.ts";

const missing = kafkaLibMissing();

function failures(summary: Awaited<ReturnType<typeof runScenario>>): string[] {
  return summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.message}`));
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function stripped(s: Scenario, strip: (r: Obj) => void): Scenario {
  for (const r of [...s.resources, ...s.steps.flatMap((step) => step.apply)]) strip(r.object as Obj);
  return s;
}

describe.skipIf(missing !== undefined)("kafka scenarios", () => {
  it.each(["produce", "delay-fault", "error-fault", "rate-limit"])("%s passes", async (name) => {
    const summary = await runScenario(`scenarios/kafka/${name}.yaml`, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary)).toEqual([]);
    expect(summary.passed).toBe(true);
  }, 90_000);

  it("error-fault fails without its fault policy", async () => {
    const scenario = stripped(await loadScenario("scenarios/kafka/error-fault.yaml"), (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"]);
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary).join("\n")).toMatch(/kafka\.api\.Produce\.local_reply=0 >= 8/);
    expect(summary.passed).toBe(false);
  }, 90_000);

  it("rate-limit fails without its rate limit", async () => {
    const scenario = stripped(await loadScenario("scenarios/kafka/rate-limit.yaml"), (r) => delete r.spec?.localRateLimit);
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary).join("\n")).toMatch(/THROTTLING_QUOTA_EXCEEDED|total=0/);
    expect(summary.passed).toBe(false);
  }, 90_000);
});
