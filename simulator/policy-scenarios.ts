/**
 * Shared by the per-protocol policy tests: each traffic-policy scenario passes as shipped, and
 * fails once its policy is taken out of the resources — on the expectations that policy guards,
 * and on nothing else: not a timeout, a NACK or a step that could not run. Policies that share a
 * scenario (retries and outlier detection) are taken out one at a time.
 */
import { describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario, ScenarioResource } from "./scenario/types.ts";
import type { RunSummary } from "./report/summary.ts";

// biome-ignore lint/suspicious/noExplicitAny: scenario YAML edited in place, untyped by nature
type Obj = Record<string, any>;

interface PolicyCase {
  scenario: string;
  /** What is taken out, for the test's title. */
  policy: string;
  strip: (resource: Obj) => void;
  /**
   * The expectations the policy guards, as `<step>: <expectation name>` patterns. Without the
   * policy each must fail, and every failure must be one of them.
   */
  guards: RegExp[];
  /** Protocols that ship this scenario (default: all). */
  protocols?: ReadonlyArray<"thrift" | "dubbo">;
}

function allResources(s: Scenario): ScenarioResource[] {
  return [...s.resources, ...s.steps.flatMap((step) => step.apply)];
}

function withoutPolicy(s: Scenario, strip: (r: Obj) => void): Scenario {
  for (const r of allResources(s)) strip(r.object as Obj);
  return s;
}

const CASES: PolicyCase[] = [
  {
    scenario: "fault-injection",
    policy: "its faults",
    strip: (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"],
    guards: [
      /^abort half of getUser: errors fault_abort/,
      /^abort half of getUser: metric .*fault\.aborts_injected/,
      /^delay every getOrder: thresholds p\(50\) >= 100ms/,
      /^delay every getOrder: added latency p\(50\) over other methods untouched$/,
    ],
  },
  {
    scenario: "local-rate-limit",
    policy: "its rate limit",
    strip: (r) => delete r.spec?.localRateLimit,
    guards: [/^getUser has its own bucket of 10: errors rate_limited/, /^the default bucket holds 100: errors rate_limited/, /^the default bucket holds 100: metric .*local_rate_limit\.rate_limited/],
  },
  {
    scenario: "global-rate-limit",
    policy: "its global rate limit",
    strip: (r) => delete r.spec?.globalRateLimit,
    guards: [
      /^getUser is limited to 10: errors rate_limited, total$/,
      /^getUser is limited to 10: metric .*global_rate_limit\.over_limit == 30$/,
      /^other methods pass: metric .*global_rate_limit\.ok == 100$/,
    ],
  },
  {
    scenario: "mirror",
    policy: "its mirror",
    strip: (r) => {
      for (const route of r.spec?.routes ?? []) {
        delete route.mirror;
        delete route.mirrorPercentage;
      }
    },
    guards: [/mirrored: eventually metric .*\.mirror_rq_completed/, /mirrored: (eventually )?metric service hello v2 received\.sayHello/],
  },
  {
    scenario: "resilience",
    policy: "its retries",
    // The scenario's only route policy is its retry policy; outlier detection stays.
    strip: (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"],
    guards: [/^one instance down, no failed call: success rate$/, /^one instance down, no failed call: metric .*\.upstream_rq_retry >= 1$/],
  },
  {
    scenario: "resilience",
    policy: "its outlier detection",
    strip: (r) => delete r.spec?.trafficPolicy?.outlierDetection,
    guards: [/^one instance down, no failed call: metric .*\.outlier_detection_ejections >= 1$/, /^one instance down, no failed call: metric .*\.upstream_rq_retry <= 10$/],
  },
  {
    scenario: "route-timeout",
    policy: "its route timeout",
    strip: (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"],
    guards: [
      /^slower than the route allows: errors total, timeout$/,
      /^slower than the route allows: metric .*\.local_reply_timeout == 20$/,
      /^slower than the route allows: metric .*\.upstream_rq_timeout == 20$/,
    ],
  },
  {
    scenario: "retries",
    policy: "its retries",
    strip: (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"],
    // The per-try timeout goes with the retry policy, so the slow instance's step fails too.
    guards: [
      /^one instance answers with an error: success rate$/,
      /^one instance answers with an error: metric .*\.upstream_rq_retry >= 50$/,
      /^one instance answers too late: distribution by instance$/,
      /^one instance answers too late: metric .*\.upstream_rq_timeout >= 20$/,
      /^one instance answers too late: metric .*\.upstream_rq_retry >= 20$/,
    ],
  },
  {
    scenario: "retries",
    policy: "its per-try timeout",
    strip: (r) => {
      const annotations = r.metadata?.annotations as Record<string, string> | undefined;
      const policies = annotations?.["meshsim.dev/route-policies"];
      if (policies !== undefined) annotations!["meshsim.dev/route-policies"] = policies.replace(", perTryTimeout: 300ms", "");
    },
    guards: [
      /^one instance answers too late: distribution by instance$/,
      /^one instance answers too late: metric .*\.upstream_rq_timeout >= 20$/,
      /^one instance answers too late: metric .*\.upstream_rq_retry >= 20$/,
    ],
  },
  {
    scenario: "consistent-hash",
    policy: "its consistent hash",
    // Round robin instead: each key's calls spread over the instances.
    strip: (r) => delete r.spec?.trafficPolicy?.loadBalancer,
    guards: [/^every key on one instance: affinity$/, /^only the crashed instance's keys move: affinity same as every key on one instance$/],
    protocols: ["dubbo"],
  },
  {
    scenario: "circuit-breaker",
    policy: "its connection pool limits",
    strip: (r) => delete r.spec?.trafficPolicy,
    guards: [/^burst of slow calls: errors overflow/, /^burst of slow calls: metric .*\.upstream_rq_pending_overflow/],
  },
];

function failures(summary: RunSummary): string[] {
  return summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.name}`));
}

export function describePolicyScenarios(protocol: "thrift" | "dubbo"): void {
  const cases = CASES.filter((c) => c.protocols === undefined || c.protocols.includes(protocol));
  const shipped = [...new Set(cases.map((c) => c.scenario))];
  describe.each(shipped)(`${protocol} policy scenario %s`, (name) => {
    it("passes with its policies", async () => {
      const summary = await runScenario(`scenarios/${protocol}/${name}.yaml`, { noReports: true });
      expect(summary.error).toBeUndefined();
      expect(failures(summary)).toEqual([]);
      expect(summary.passed).toBe(true);
    });
  });

  describe.each(cases)(`${protocol} policy scenario $scenario`, ({ scenario, policy, strip, guards }) => {
    it(`fails without ${policy}, on the expectations it guards`, async () => {
      await expectFailuresExactly(withoutPolicy(await loadScenario(`scenarios/${protocol}/${scenario}.yaml`), strip), guards);
    });
  });
}

/**
 * Runs a scenario that has been broken on purpose and checks it fails on each of `guards`
 * (`<step>: <expectation name>` patterns) and on nothing else: not a timeout, a NACK or a step
 * that could not run. Every step runs to the end (no fail fast), so every expectation is judged
 * on all its traffic.
 */
export async function expectFailuresExactly(scenario: Scenario, guards: readonly RegExp[]): Promise<void> {
  const summary = await runScenario(scenario, { noReports: true, failFast: false });
  expect(summary.error).toBeUndefined();
  expect(summary.steps.filter((s) => s.error !== undefined).map((s) => `${s.name}: ${s.error}`)).toEqual([]);
  const failed = failures(summary);
  for (const guard of guards)
    expect(
      failed.some((f) => guard.test(f)),
      `no failure matches ${guard}; failures: ${failed.join(" | ")}`,
    ).toBe(true);
  expect(failed.filter((f) => !guards.some((g) => g.test(f)))).toEqual([]);
  expect(summary.passed).toBe(false);
}
