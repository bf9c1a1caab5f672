/**
 * The routing, fault and Redis scenarios each catch the bug they exist for: with that bug put
 * into their configuration (a matcher that no longer matches, an update never applied, a fault
 * never injected), each fails on the expectations that name it, and on nothing else. The traffic
 * policies have their own such tests (policy-scenarios-*.test.ts), as do the mirrors
 * (mirror-scenarios.test.ts) and Kafka (kafka-yaml-scenarios.test.ts).
 */
import { describe, it } from "vitest";
import { expectFailuresExactly } from "./policy-scenarios.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario } from "./scenario/types.ts";

// biome-ignore lint/suspicious/noExplicitAny: scenario YAML edited in place, untyped by nature
type Obj = Record<string, any>;

interface BrokenCase {
  scenario: string;
  /** The bug, for the test's title. */
  bug: string;
  breakIt: (s: Scenario) => void;
  guards: RegExp[];
  /** `vars:` overrides that keep the run short. */
  vars?: Record<string, number>;
}

function objects(s: Scenario, kind: string): Obj[] {
  return [...s.resources, ...s.steps.flatMap((step) => step.apply)].filter((r) => r.kind === kind).map((r) => r.object as Obj);
}

function dropSteps(s: Scenario, ...names: string[]): void {
  const before = s.steps.length;
  s.steps = s.steps.filter((step) => !names.includes(step.name));
  if (s.steps.length !== before - names.length) throw new Error(`${s.file}: not every step of ${names.join(", ")} exists`);
}

/** Prefix and regex matchers that compare whole values, as an exact matcher does. */
function matchersExact(s: Scenario): void {
  for (const router of objects(s, "MetaRouter")) {
    for (const route of router.spec.routes) {
      for (const m of Object.values((route.match?.attributes ?? {}) as Record<string, Obj>)) {
        const value = m.prefix ?? m.regex;
        if (value === undefined) continue;
        delete m.prefix;
        delete m.regex;
        m.exact = value;
      }
    }
  }
}

const CASES: BrokenCase[] = [
  ...(["thrift", "dubbo"] as const).map((p) => ({
    scenario: `${p}/method-routing`,
    bug: "prefix and regex matchers that compare whole values",
    breakIt: matchersExact,
    guards: [/^prefix match: (success rate|distribution by version)$/, /^regex match: (success rate|distribution by version)$/],
  })),
  ...(["thrift", "dubbo"] as const).map((p) => ({
    scenario: `${p}/version-routing`,
    bug: "a route update that never reaches the proxy",
    breakIt: (s: Scenario) => {
      s.steps.find((step) => step.name === "switch to v2")!.apply = [];
    },
    guards: [/^traffic on v2: distribution by version$/],
  })),
  {
    scenario: "dubbo/attachment-routing",
    bug: "a matcher that reads another attachment",
    breakIt: (s) => {
      for (const router of objects(s, "MetaRouter")) for (const route of router.spec.routes) if (route.match) route.match.attributes = { "x-tenant": route.match.attributes.tenant };
    },
    guards: [/^beta tenant: distribution by version$/],
  },
  {
    scenario: "dubbo/authorization",
    bug: "a DENY policy that is not enforced",
    breakIt: (s) => {
      s.resources = s.resources.filter((r) => r.kind !== "DubboAuthorizationPolicy");
    },
    guards: [/^denied method: errors total, unauthorized$/],
  },
  {
    scenario: "thrift/kill-restart",
    bug: "a kill that does not kill",
    breakIt: (s) => dropSteps(s, "crash one", "restart it"),
    guards: [/^one instance down: distribution by instance$/, /^one instance down: metric .*upstream_cx_connect_fail >= 1$/],
  },
  {
    scenario: "thrift/fault-network",
    bug: "network faults that are never applied",
    breakIt: (s) => dropSteps(s, "slow link", "resets"),
    guards: [/^traffic on the slow link: thresholds p\(50\) > 30ms$/, /^traffic on the slow link: added latency p\(50\) over baseline$/, /^traffic with resets: errors total$/],
  },
  {
    scenario: "thrift/route-shift-under-load",
    bug: "route shifts back to v1 that never reach the proxy",
    breakIt: (s) => {
      for (const branch of s.steps.find((step) => step.name === "shift under load")!.parallel!) {
        for (const child of branch.sequence ?? []) if (child.name === "shift back to v1") for (const iteration of child.repeat!.iterations) iteration.apply = [];
      }
    },
    guards: [/^shift under load: eventually distribution by version$/, /^shift under load: accessLog caller cluster=outbound\|9090\|v2\|\* after "shift back to v1" == 0$/],
    vars: { shifts: 2, stride: 50 },
  },
  {
    scenario: "redis/prefix-routing",
    bug: "a key prefix route that never matches",
    breakIt: (s) => {
      for (const rs of objects(s, "RedisService")) for (const route of rs.spec.redis) if (route.match) route.match.key.prefix = "nobody:";
    },
    guards: [/^user keys: metric .*users\.default\.svc\.cluster\.local\.upstream_rq_total == 500$/, /^user keys: metric .*cache\.default\.svc\.cluster\.local\.upstream_rq_total == 0$/],
  },
  {
    scenario: "redis/faults",
    bug: "faults that are never injected",
    breakIt: (s) => {
      for (const rs of objects(s, "RedisService")) delete rs.spec.faults;
    },
    guards: [
      /^gets: errors fault, total$/,
      /^gets: metric app .*\.fault\.aborts_injected >= 400$/,
      /^delayed gets: metric app .*\.fault\.delays_injected == 100$/,
      /^delayed gets: thresholds p\(50\) > 95ms, p\(99\) < 1s$/,
    ],
  },
  {
    scenario: "redis/read-policy",
    bug: "reads sent to the primary",
    breakIt: (s) => {
      for (const rs of objects(s, "RedisService")) rs.spec.settings.readPolicy = "MASTER";
    },
    guards: [/^reads: metric service db db-v1-1 received\.get == 200$/],
  },
  {
    scenario: "redis/auth",
    bug: "client authentication that is not enforced",
    breakIt: (s) => {
      s.steps.find((step) => step.name === "clients must authenticate")!.apply = [];
    },
    guards: [/^a client without the password: errors auth$/],
  },
  {
    scenario: "redis/route-change",
    bug: "a route change that never reaches the proxy",
    breakIt: (s) => {
      const parallel = s.steps.find((step) => step.name === "switch under load")!.parallel!;
      for (const branch of parallel) for (const child of branch.sequence ?? []) if (child.name === "move") child.apply = [];
    },
    guards: [/^switch under load: metric .*next\.default\.svc\.cluster\.local\.upstream_rq_total >= 300$/],
  },
];

describe.each(CASES)("scenario $scenario", ({ scenario, bug, breakIt, guards, vars }) => {
  it(`fails with ${bug}, on the expectations that see it`, async () => {
    const s = await loadScenario(`scenarios/${scenario}.yaml`, vars ? { vars } : {});
    breakIt(s);
    await expectFailuresExactly(s, guards);
  });
});
