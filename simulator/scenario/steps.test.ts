/** The step language: vars and templates, repeat, parallel/sequence with ids and of:, faults, waitFor, temporal expectations. */
import { mkdtempSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { loadScenario, scenarioProblems } from "./loader.ts";

const dir = mkdtempSync(join(tmpdir(), "meshsim-steps-"));
copyFileSync(new URL("./testdata/shift.yaml", import.meta.url), join(dir, "shift.yaml"));
let n = 0;
function write(body: string): string {
  const file = join(dir, `s${++n}.yaml`);
  writeFileSync(file, body);
  return file;
}

const HEAD = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: steps, tags: [a]}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090, versions: {v1: {replicas: 2}, v2: {}}}
  clients:
    - {name: caller, protocol: thrift}
`;
const TRAFFIC = `{from: caller, to: hello, executor: {type: constant-arrival-rate, rate: "{{ rate }}", duration: 2s}}`;

async function problems(body: string, vars?: Record<string, string | number>) {
  return (await scenarioProblems(write(body), vars ? { vars } : {})).map((p) => `${p.line} ${p.path}: ${p.message}`);
}

describe("scenario steps", () => {
  it("renders vars (overridden by --var) in values and file names, and repeats with i = 1..times", async () => {
    const file = write(`${HEAD}vars: {rate: 100/s, step: 25, route: shift}
steps:
  - name: load and shift
    parallel:
      - id: load
        traffic: ${TRAFFIC}
      - sequence:
          - sleep: 1s
          - name: shift
            repeat: {times: 3, every: 500ms}
            apply: {file: "{{ route }}.yaml"}
            waitFor: {acked: true}
    expect:
      - of: load
        successRate: 1.0
        connections: {closedByPeer: 0, resets: {max: 0}}
      - eventually: {within: 3s, distribution: {by: version, expected: {v2: 1.0}}}
      - consistently: {for: 2s, errors: {total: 0}}
      - metric: {sidecar: caller, name: "cluster.*.upstream_rq_total", op: ">=", value: 10, delta: true}
`);
    const s = await loadScenario(file, { vars: { step: 50 } });
    expect(s.vars).toEqual({ rate: "100/s", step: 50, route: "shift" });
    const [step] = s.steps;
    expect(step!.actions).toEqual(["parallel"]);
    const [load, seq] = step!.parallel!;
    expect(load!.id).toBe("load");
    expect(load!.traffic!.executor).toEqual({ type: "constant-arrival-rate", ratePerSecond: 100, durationMs: 2000 });
    const repeat = seq!.sequence![1]!;
    expect(repeat.actions).toEqual(["repeat"]);
    expect(repeat.repeat!.times).toBe(3);
    expect(repeat.repeat!.everyMs).toBe(500);
    const weights = repeat.repeat!.iterations.map((it) => {
      const spec = it.apply[0]!.object.spec as { routes: Array<{ route: Array<{ weight: number }> }> };
      return spec.routes[0]!.route.map((r) => r.weight);
    });
    expect(weights).toEqual([
      [50, 50],
      [0, 100],
      [-50, 150],
    ]);
    expect(repeat.repeat!.iterations.map((it) => it.name)).toEqual(["shift #1", "shift #2", "shift #3"]);
    expect(step!.expect.map((e) => [e.kind, e.of])).toEqual([
      ["successRate", "load"],
      ["connections", "load"],
      ["eventually", undefined],
      ["consistently", undefined],
      ["metric", undefined],
    ]);
    expect(step!.expect[2]).toMatchObject({ kind: "eventually", withinMs: 3000, inner: { kind: "distribution", expected: { v2: 1 } } });
    expect(step!.expect[3]).toMatchObject({ kind: "consistently", forMs: 2000, inner: { kind: "errors", counts: { total: { min: 0, max: 0 } } } });
    expect(step!.expect[4]).toMatchObject({ kind: "metric", metric: { sidecar: "caller", op: ">=", value: 10, delta: true } });
  });

  it("reports template, of:, fault, waitFor and metric mistakes with the line and path", async () => {
    const found = await problems(
      `${HEAD}steps:
  - name: faults
    fault:
      - {kill: hello-v3-0}
      - {network: {link: {to: helo}, reset: {}}}
      - {network: {link: {from: nobody, to: sidecar}, clear: true}}
      - {restart: hello-v1-0, kill: hello-v1-1}
    waitFor: {fixture: hello-v1-9, metric: {sidecar: calller, name: x, op: ">", value: 1}}
  - name: two loads
    parallel:
      - {id: a, traffic: ${TRAFFIC}}
      - {id: b, traffic: ${TRAFFIC}}
    expect:
      - successRate: 1.0
      - {of: c, successRate: 1.0}
      - eventually: {within: 1s, successRate: 1, errors: {total: 0}}
  - name: fixture counts
    sleep: 1s
    expect:
      - metric: {service: helo, name: received.sayHello, op: "==", value: 1}
      - metric: {service: hello, version: v3, name: received.sayHello, op: "==", value: 1}
      - metric: {sidecar: caller, service: hello, name: received.sayHello, op: "==", value: 1}
`,
      { rate: "10/s" },
    );
    expect(found).toEqual([
      '12 steps[0].fault[0].kill: no instance named "hello-v3-0"; did you mean "hello-v1-0"?; instances are named <service>-<version>-<index>',
      '13 steps[0].fault[1].network.link.to: "helo" is not a service, an instance or "sidecar"; did you mean "hello"?',
      "14 steps[0].fault[2].network.link.from: to: sidecar is the hop from a client to its own sidecar; from must name a client with a sidecar (caller)",
      "15 steps[0].fault[3]: a fault is exactly one of kill, restart, pause, unpause, network (found kill, restart)",
      '16 steps[0].waitFor.fixture: no instance named "hello-v1-9"; did you mean "hello-v1-0"?; instances are named <service>-<version>-<index>',
      '16 steps[0].waitFor.metric.sidecar: no client named "calller" with a sidecar; did you mean "caller"?',
      "22 steps[1].expect[0]: this step sends traffic 2 times; say which with of: <id> (ids: a, b)",
      '23 steps[1].expect[1].of: no branch with id "c" in this step (ids: a, b)',
      "24 steps[1].expect[2].eventually: eventually wraps exactly one assertion (successRate, distribution, thresholds, errors, connections, metric), found successRate, errors",
      '28 steps[2].expect[0].metric.service: no service named "helo"; did you mean "hello"?',
      '29 steps[2].expect[1].metric.version: service hello has no version "v3" (versions: v1, v2)',
      "30 steps[2].expect[2].metric: a metric reads exactly one of sidecar (a client's proxy counters) and service (what the service's instances counted themselves)",
    ]);
  });

  it("validates a repeat body with i = 1 against the schema", async () => {
    const found = await problems(`${HEAD}steps:
  - repeat: {times: 2}
    sleep: "{{ i }}"
`);
    expect(found).toEqual(['11 steps[0].sleep: expected a duration like "10s", "500ms" or "2m", got 1 (add a unit: "1s" or "1ms")']);
    expect(await problems(`${HEAD}steps:\n  - sleep: "{{ 2 * nope }}s"\n`)).toEqual(['10 steps[0].sleep: {{ 2 * nope }}: unknown name "nope" (declare it under vars: or pass --var)']);
    await expect(loadScenario(write(`${HEAD}steps:\n  - repeat: {times: 2}\n    sleep: "{{ i }}s"\n`))).resolves.toMatchObject({ steps: [{ repeat: { times: 2 } }] });
    await expect(loadScenario(write(`${HEAD}steps:\n  - sleep: "{{ x }}s"\n`))).rejects.toThrow(InvalidInputError);
  });

  it("renders a repeat body per iteration, also when nested under steps rendered once", async () => {
    const s = await loadScenario(
      write(`${HEAD}steps:
  - sequence:
      - sleep: 1s
      - repeat: {times: 3}
        sleep: "{{ i }}s"
`),
    );
    const repeat = s.steps[0]!.sequence![1]!;
    expect(repeat.repeat!.iterations.map((it) => it.sleepMs)).toEqual([1000, 2000, 3000]);
  });
});
