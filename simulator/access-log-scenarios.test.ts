/**
 * Access logs and spans in scenario runs: the route-shift scenario's `accessLog` check, its
 * sidecar's log and spans kept in the report folder, linked from report.html with a sampled
 * request's spans shown, and the check failing when requests still reach v2 after the last shift
 * back to v1.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadScenario } from "./scenario/loader.ts";
import { runScenario } from "./runner.ts";
import { validateSummary } from "./report/summary-schema.ts";

const SCENARIO = "scenarios/thrift/route-shift-under-load.yaml";
const out = mkdtempSync(join(tmpdir(), "meshsim-access-log-run-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const accessLogResult = (summary: Awaited<ReturnType<typeof runScenario>>) => summary.steps.flatMap((s) => s.expectations).find((e) => e.name.startsWith("accessLog"))!;

describe("access logs in scenario runs", () => {
  it("route shift: no request reaches v2 after the shift back; the log is kept and linked", async () => {
    const scenario = await loadScenario(SCENARIO, { vars: { stride: 50, shifts: 2, rate: "200/s" } });
    const summary = await runScenario(scenario, { runDir: join(out, "pass") });
    expect(summary.error).toBeUndefined();
    const check = accessLogResult(summary);
    expect(check).toMatchObject({ passed: true, details: { actual: 0 } });
    expect(check.details.requests).toBeGreaterThan(100);
    expect(summary.passed).toBe(true);

    expect(summary.logs).toContainEqual({ part: "sidecar-caller", kind: "access-log", file: "logs/sidecar-caller.access.log" });
    const { reportDir: _dir, ...written } = summary;
    expect(validateSummary(JSON.parse(JSON.stringify(written)))).toEqual([]);
    const lines = readFileSync(join(summary.reportDir!, "logs/sidecar-caller.access.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { cluster: string });
    const load = summary.steps.find((s) => s.name === "shift under load")!.traffic[0]!;
    expect(lines.length).toBe(load.requests);
    expect(new Set(lines.map((l) => l.cluster))).toEqual(new Set(["outbound|9090|v1|hello.default.svc.cluster.local", "outbound|9090|v2|hello.default.svc.cluster.local"]));
    const html = readFileSync(join(summary.reportDir!, "report.html"), "utf8");
    expect(html).toContain('<a href="logs/sidecar-caller.access.log">sidecar-caller</a>');

    // Spans of a share of the requests (the default Telemetry traces 10%), and one shown in the report.
    expect(summary.logs).toContainEqual({ part: "sidecar-caller", kind: "traces", file: "logs/sidecar-caller.traces.jsonl" });
    const span = summary.sampledTrace!.spans[0]!;
    expect(span).toMatchObject({ service: "sidecar-caller", name: "hello.default.svc.cluster.local/sayHello", error: false, attributes: { "rpc.system": "thrift", "meshsim.outcome": "ok" } });
    expect(span.attributes["meshsim.cluster"]).toMatch(/^outbound\|9090\|v[12]\|hello\.default\.svc\.cluster\.local$/);
    expect(html).toContain(`trace ${summary.sampledTrace!.traceId}`);
  }, 60_000);

  it("fails, naming the request, when traffic still reaches v2 after the shift back (half-way shifts)", async () => {
    const scenario = await loadScenario(SCENARIO, { vars: { stride: 50, shifts: 1, rate: "200/s" } });
    const summary = await runScenario(scenario, { noReports: true, failFast: false });
    const check = accessLogResult(summary);
    expect(check.passed).toBe(false);
    expect(check.message).toMatch(/^accessLog: caller: [1-9]\d* of \d+ requests after "shift back to v1" match cluster=outbound\|9090\|v2\|\* \(== 0\) — FAIL; first: \{"startTime"/);
  }, 60_000);
});
