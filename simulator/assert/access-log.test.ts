import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError, type InputProblem } from "../../common/errors.ts";
import { loadScenario } from "../scenario/loader.ts";
import type { AccessLogCondition } from "../scenario/types.ts";
import { evaluateAccessLog } from "./access-log.ts";

const line = (at: string, fields: Record<string, unknown>) => JSON.stringify({ startTime: at, metadata: { method: "sayHello" }, outcome: "response", ...fields });
const LOG = [
  line("2026-01-01T00:00:01.000Z", { cluster: "outbound|9090|v1|hello" }),
  line("2026-01-01T00:00:02.000Z", { cluster: "outbound|9090|v2|hello" }),
  line("2026-01-01T00:00:03.000Z", { cluster: "outbound|9090|v1|hello", mirrored: true }),
  line("2026-01-01T00:00:04.000Z", { cluster: "outbound|9090|v2|hello", metadata: { method: "other" } }),
];
const cond = (c: Partial<AccessLogCondition>): AccessLogCondition => ({ sidecar: "caller", where: {}, op: "==", value: 0, ...c });

describe("accessLog", () => {
  it("counts the lines that match every field of where, with * as any run of characters", () => {
    const r = evaluateAccessLog(cond({ where: { cluster: "outbound|9090|v2|*" }, op: "==", value: 2 }), LOG, 0);
    expect(r).toMatchObject({ passed: true, details: { actual: 2, requests: 4 } });
    expect(evaluateAccessLog(cond({ where: { cluster: "*|v2|*", "metadata.method": "sayHello" }, value: 1 }), LOG, 0).passed).toBe(true);
    expect(evaluateAccessLog(cond({ where: { mirrored: "true" }, value: 1 }), LOG, 0).passed).toBe(true);
  });

  it("counts only requests decoded from the start of its window, and fails naming the first offender", () => {
    const from = Date.parse("2026-01-01T00:00:02.500Z");
    const r = evaluateAccessLog(cond({ where: { cluster: "outbound|9090|v2|*" }, after: "shift" }), LOG, from);
    expect(r.passed).toBe(false);
    expect(r.message).toBe(`accessLog: caller: 1 of 2 requests after "shift" match cluster=outbound|9090|v2|* (== 0) — FAIL; first: ${LOG[3]}`);
    expect(evaluateAccessLog(cond({ where: { cluster: "outbound|9090|v2|*" } }), LOG, Date.parse("2026-01-01T00:00:04.500Z")).passed).toBe(true);
  });

  it("fails on lines that are not JSON rather than skipping them quietly", () => {
    const r = evaluateAccessLog(cond({}), [...LOG, "not json"], Date.parse("2026-01-01T00:00:05Z"));
    expect(r.passed).toBe(false);
    expect(r.message).toContain("(1 lines are not JSON)");
  });
});

describe("accessLog in a scenario", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshsim-access-log-"));
  async function problems(expect_: string): Promise<string[]> {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090, versions: {v1: {}, v2: {}}}
  clients:
    - {name: caller, protocol: thrift, sidecar: true}
steps:
  - name: outer
    parallel:
      - traffic: {from: caller, to: hello, executor: {type: constant-arrival-rate, rate: 10/s, count: 5}}
      - name: shift
        sleep: 1s
    expect:
${expect_}
`,
    );
    try {
      await loadScenario(file);
      return [];
    } catch (err) {
      if (err instanceof InvalidInputError) return err.problems.map((p: InputProblem) => `${p.path}: ${p.message}`);
      throw err;
    }
  }

  it("accepts a filter on line fields and metadata after a nested step", async () => {
    expect(await problems(`      - accessLog: {sidecar: caller, where: {cluster: "*|v1|*", metadata.method: sayHello, mirrored: false}, after: shift, op: "==", value: 0}`)).toEqual([]);
  });

  it("names an unknown field, step or sidecar, and a count that cannot fail", async () => {
    expect(await problems(`      - accessLog: {sidecar: calller, where: {clustr: x}, after: shfit, op: ">=", value: 0}`)).toEqual([
      'steps[0].expect[0].accessLog.sidecar: no client named "calller" with a sidecar; did you mean "caller"?',
      'steps[0].expect[0].accessLog.where.clustr: access log lines have no field "clustr" (fields: protocol, listener, route, cluster, upstreamHost, outcome, responseKind, localReply, fault, mirrored, retries, metadata.<key>); did you mean "cluster"?',
      'steps[0].expect[0].accessLog.after: no step named "shfit" inside this step; did you mean "shift"?',
      "steps[0].expect[0].accessLog.value: this check cannot fail: a line count >= 0 holds whatever happens; counts are never negative",
    ]);
  });

  it("is not taken inside eventually or consistently (it counts the whole step's requests)", async () => {
    expect(await problems(`      - eventually: {within: 1s, accessLog: {sidecar: caller, op: "==", value: 0}}`)).toEqual([
      expect.stringMatching(/^steps\[0\]\.expect\[0\]\.eventually\.accessLog: unknown field "accessLog"/),
    ]);
  });
});
