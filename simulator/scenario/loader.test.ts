import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InvalidInputError, formatProblem, type InputProblem } from "../../common/errors.ts";
import { loadScenario } from "./loader.ts";
import { validateScenarioFiles } from "./validate.ts";

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "meshsim-scenario-"));
let counter = 0;
function scenarioFile(yaml: string, extra: Record<string, string> = {}): string {
  const file = join(dir, `s${++counter}.yaml`);
  writeFileSync(file, yaml);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return file;
}

async function problemsOf(file: string): Promise<InputProblem[]> {
  try {
    await loadScenario(file);
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems;
    throw err;
  }
  throw new Error("expected the scenario to be invalid");
}

const HEAD = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090, versions: {v1: {}, v2: {}}}
  clients:
    - {name: caller, protocol: thrift}
`;

describe("loadScenario", () => {
  it("normalizes a valid scenario: includes, units, defaults", async () => {
    const s = await loadScenario(testdata("split.yaml"));
    expect(s.metadata).toEqual({ name: "thrift-traffic-split", tags: ["thrift", "routing"] });
    const [svc] = s.topology.services;
    expect(svc).toMatchObject({
      namespace: "default",
      host: "hello.default.svc.cluster.local",
      versions: { v1: { replicas: 1 }, v2: { replicas: 2 } },
      transport: "framed",
      protocolVariant: "binary",
    });
    expect(s.resources.map((r) => [r.kind, r.name, r.namespace, r.source.line])).toEqual([
      ["ServiceEntry", "hello", "default", 1],
      ["DestinationRule", "hello", undefined, 7],
    ]);
    expect(s.resources[0]!.source.file).toBe(testdata("service.yaml"));
    expect(s.resources[1]!.source.locate(["spec", "host"]).line).toBe(11);

    const [split, drive, cleanup] = s.steps;
    expect(split!.actions).toEqual(["apply", "waitFor"]);
    expect(split!.waitFor).toEqual({ acked: true, fixtures: [], timeoutMs: 10_000 });
    expect(split!.apply[0]).toMatchObject({ kind: "MetaRouter", name: "hello", source: { file: testdata("split.yaml"), line: 17 } });
    expect(split!.apply[0]!.source.locate(["spec", "hosts"]).line).toBe(21);

    expect(drive!.traffic).toMatchObject({
      from: "caller",
      to: "hello",
      call: { method: "sayHello", args: ["meshsim"], headers: {} },
      executor: { type: "constant-arrival-rate", ratePerSecond: 500, count: 2000 },
      connections: { mode: "pooled", size: 4 },
      timeoutMs: 5000,
    });
    expect(drive!.expect.map((e) => e.kind)).toEqual(["successRate", "distribution", "thresholds", "errors"]);
    expect(drive!.expect[1]).toMatchObject({ by: "version", expected: { v1: 0.2, v2: 0.8 }, tolerance: 0.03, confidence: 0.999 });
    expect(drive!.expect[2]).toMatchObject({
      thresholds: [
        { stat: "p(99)", op: "<", value: 20 },
        { stat: "rate", op: "<", value: 0.01 },
      ],
    });
    expect(drive!.expect[3]).toMatchObject({ counts: { total: { min: 0, max: 0 }, timeout: { min: 0, max: 2 } } });

    expect(cleanup!.actions).toEqual(["delete", "sleep"]);
    expect(cleanup!.sleepMs).toBe(90_000);
    expect(cleanup!.delete.map((r) => r.kind)).toEqual(["ServiceEntry", "DestinationRule"]);
  });

  it("reports every schema problem with file:line:column, a field path and a suggestion", async () => {
    const file = scenarioFile(`${HEAD}steps:
  - name: drive
    traffic:
      from: caller
      to: hello
      executor: {type: constant-arrival-rate, rate: 500/sec, count: 10, concurency: 3}
      conections: {mode: pooled}
    expect:
      - successRate: 1.5
      - distribution: {by: versoin, expected: {v1: 1}}
`);
    const problems = await problemsOf(file);
    const lines = problems.map(formatProblem);
    expect(lines).toEqual([
      `${file}:14:53: Scenario/t steps[0].traffic.executor.rate: expected a rate like "500/s" or "30000/m" (or a number per second), got "500/sec"`,
      `${file}:14:85: Scenario/t steps[0].traffic.executor.concurency: unknown field "concurency"; did you mean "concurrency"?`,
      `${file}:15:19: Scenario/t steps[0].traffic.conections: unknown field "conections"; did you mean "connections"?`,
      `${file}:17:22: Scenario/t steps[0].expect[0].successRate: must be <= 1, got 1.5`,
      `${file}:18:28: Scenario/t steps[0].expect[1].distribution.by: must be one of version, instance, service; got "versoin" — did you mean "version"?`,
    ]);
  });

  it("points a missing include at the line of its file: key", async () => {
    const file = scenarioFile(`${HEAD}resources:
  - file: nowhere.yaml
steps:
  - name: wait
    apply:
      - file: also-missing.yaml
    waitFor: {acked: true}
`);
    const problems = await problemsOf(file);
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [10, "resources[0].file", `included file "nowhere.yaml" not found (looked for ${join(dir, "nowhere.yaml")})`],
      [14, "steps[0].apply[0].file", `included file "also-missing.yaml" not found (looked for ${join(dir, "also-missing.yaml")})`],
    ]);
  });

  it("locates problems inside included files", async () => {
    const file = scenarioFile(
      `${HEAD}resources:
  - file: bad-include.yaml
steps:
  - {name: pause, sleep: 1s}
`,
      { "bad-include.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: MetaRouter\nspec: {}\n" },
    );
    const problems = await problemsOf(file);
    expect(problems).toEqual([
      expect.objectContaining({ file: join(dir, "bad-include.yaml"), line: 5, resource: "MetaRouter/?", message: "not a Kubernetes-style resource: missing apiVersion, metadata.name" }),
    ]);
  });

  it("checks references and combinations the schema cannot", async () => {
    const file = scenarioFile(`${HEAD}steps:
  - name: drive
    traffic:
      from: caler
      to: hello
      executor: {type: constant-concurrency, duration: 5s}
    expect:
      - distribution: {by: version, expected: {v1: 0.5, v3: 0.6}}
      - thresholds: ["p99 < 20ms", "p(97) < 1s"]
  - name: drive
    sleep: 1s
    expect:
      - successRate: 1
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      '12 steps[0].traffic.from: no client named "caler" in topology.clients; did you mean "caller"?',
      "14 steps[0].traffic.executor: constant-concurrency needs concurrency, e.g. concurrency: 8",
      "16 steps[0].expect[0].distribution.expected: expected shares must sum to 1, they sum to 1.1",
      '16 steps[0].expect[0].distribution.expected.v3: service hello has no version "v3" (versions: v1, v2)',
      '17 steps[0].expect[1].thresholds[0]: threshold "p99 < 20ms": unknown statistic "p99" (expected avg, min, max, med, p(N) or rate); did you mean "p(99)"?',
      '17 steps[0].expect[1].thresholds[1]: threshold "p(97) < 1s": p(97) is not recorded; use one of p(50), p(90), p(95), p(99), p(99.9)',
      '18 steps[1].name: step name "drive" is used twice; reports need unique names',
      "21 steps[1].expect[0]: expectations on traffic check the traffic of their own step; add traffic to this step (or a branch of it) or move expect to the step that sends it",
    ]);
  });

  it("checks traffic keys and affinity: a protocol that sends headers, keyed traffic, an earlier step to compare with", async () => {
    const file = scenarioFile(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: dubbo, port: 20880}
    - {name: bye, protocol: thrift, port: 9090}
  clients:
    - {name: caller, protocol: dubbo}
    - {name: t, protocol: thrift}
steps:
  - name: plain
    traffic: {from: caller, to: hello, executor: {type: constant-concurrency, concurrency: 1, count: 1}}
    expect:
      - affinity: {except: [hello-v1-0]}
  - name: keyed
    traffic: {from: caller, to: hello, keys: {header: user, count: 4}, executor: {type: constant-concurrency, concurrency: 1, count: 1}}
    expect:
      - affinity: {sameAs: plain, except: [hello-v9-0]}
      - affinity: {sameAs: keyd}
      - eventually: {within: 1s, affinity: true}
  - name: thrift
    traffic: {from: t, to: bye, keys: {header: user, count: 4}, executor: {type: constant-concurrency, concurrency: 1, count: 1}}
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      "15 steps[0].expect[0].affinity: affinity reads responses per request key: give this step's traffic keys: {header, count}",
      "15 steps[0].expect[0].affinity.except: except lists instances that left since the step named by sameAs; add sameAs",
      '19 steps[1].expect[0].affinity.sameAs: step "plain" sends no traffic with keys to compare with',
      '19 steps[1].expect[0].affinity.except[0]: no instance named "hello-v9-0"; did you mean "hello-v1-0"?; instances are named <service>-<version>-<index>',
      '20 steps[1].expect[1].affinity.sameAs: no top-level step named "keyd" runs before this one (earlier steps: plain)',
      "21 steps[1].expect[2].eventually.affinity: affinity is judged over the whole traffic action, not per second; write it without eventually",
      "23 steps[2].traffic.keys: keys are sent as a request header, and thrift calls carry none here (protocols with headers: dubbo, lpx)",
    ]);
  });

  it("checks addedLatency: an earlier step with one traffic action, a latency statistic, a bound", async () => {
    const file = scenarioFile(`${HEAD}steps:
  - name: baseline
    traffic: {from: caller, to: hello, executor: {type: constant-concurrency, concurrency: 1, count: 1}}
  - name: quiet
    sleep: 1s
  - name: slow
    traffic: {from: caller, to: hello, executor: {type: constant-concurrency, concurrency: 1, count: 1}}
    expect:
      - addedLatency: {over: baseline, stat: rate, min: 1s, max: 10ms}
      - addedLatency: {over: quiet, min: 10ms}
      - addedLatency: {over: slow, max: 10ms}
      - addedLatency: {over: baseline}
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      '17 steps[2].expect[0].addedLatency.stat: threshold "rate": rate is not a latency; use avg, min, max, med or p(N)',
      "17 steps[2].expect[0].addedLatency.min: min 1s is larger than max 10ms",
      '18 steps[2].expect[1].addedLatency.over: step "quiet" must send traffic exactly once to serve as the baseline (it sends 0)',
      '19 steps[2].expect[2].addedLatency.over: no top-level step named "slow" runs before this one (earlier steps: baseline, quiet)',
      "20 steps[2].expect[3].addedLatency: give min, max or both: the added latency this traffic must show",
    ]);
  });

  it("checks a metric's instance: one of its service's, and only with a service", async () => {
    const file = scenarioFile(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: db, protocol: redis, port: 6379, redis: {mode: replicated}}
  clients:
    - {name: app, protocol: redis}
steps:
  - waitFor: {metric: {service: db, instance: db-v1-1, name: received.get, op: ">", value: 0}}
  - waitFor: {metric: {service: db, instance: db-v1-2, name: received.get, op: ">", value: 0}}
  - waitFor: {metric: {sidecar: app, instance: db-v1-0, name: x, op: ">", value: 0}}
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      '11 steps[1].waitFor.metric.instance: service db has no instance "db-v1-2" (instances: db-v1-0, db-v1-1)',
      "12 steps[2].waitFor.metric.instance: instance narrows a service: set service too",
    ]);
  });

  it("names Kafka brokers <service>-broker-<n> for kill and restart, and refuses pause and network faults on them", async () => {
    const file = scenarioFile(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: kafka, protocol: kafka, port: 9092}
steps:
  - fault: [{kill: kafka-broker-1}, {restart: kafka-broker-1}]
  - fault: {pause: kafka-broker-1}
  - fault: {network: {link: {to: kafka}, reset: {}}}
  - fault: {kill: kafka-v1-0}
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      "9 steps[1].fault.pause: pause is not supported for Kafka brokers yet (kill and restart are)",
      "10 steps[2].fault.network.link.to: network faults into Kafka brokers are not supported yet (clients dial the addresses Metadata names); use fault policies or kill and restart",
      '11 steps[3].fault.kill: no instance named "kafka-v1-0" (instances: kafka-broker-1); instances are named <service>-<version>-<index>',
    ]);
  });

  it("leaves a protocol's own service fields to its services, and applies its checks, defaults and instance names", async () => {
    const file = scenarioFile(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090, redis: {mode: single}, kafka: {brokers: 1}}
    - {name: cache, protocol: redis, port: 6379, transport: framed, dubbo: {provider: java}, redis: {mode: replicated}}
    - {name: events, protocol: kafka, port: 9092, versions: {v1: {}, v2: {}}, kafka: {brokers: 3}}
steps:
  - waitFor: {metric: {service: events, name: received.produce, op: ">", value: 0}}
  - fault: [{kill: cache-v1-1}, {kill: cache-v1-2}, {restart: events-broker-3}]
`);
    const messages = (await problemsOf(file)).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages).toEqual([
      "6 topology.services[0].redis: redis applies to redis services only (this one is thrift)",
      "6 topology.services[0].kafka: kafka applies to kafka services only (this one is thrift)",
      "7 topology.services[1].transport: transport applies to thrift services only (this one is redis)",
      "7 topology.services[1].dubbo: dubbo applies to dubbo services only (this one is redis)",
      "8 topology.services[2].versions: a kafka service has one version: its brokers are one cluster, not versions",
      "10 steps[0].waitFor.metric.service: Kafka brokers do not report their own request counts yet; read a sidecar counter instead",
      '11 steps[1].fault[1].kill: no instance named "cache-v1-2"; did you mean "cache-v1-0"?; instances are named <service>-<version>-<index>',
    ]);
    const valid = await loadScenario(
      scenarioFile(`apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090}
    - {name: cache, protocol: redis, port: 6379}
    - {name: events, protocol: kafka, port: 9092}
    - {name: greeter, protocol: dubbo, port: 20880}
steps:
  - fault: {kill: hello-v1-0}
`),
    );
    expect(valid.topology.services.map(({ source: _, ...s }) => s)).toEqual([
      {
        name: "hello",
        namespace: "default",
        host: "hello.default.svc.cluster.local",
        protocol: "thrift",
        port: 9090,
        versions: { v1: { replicas: 1 } },
        transport: "framed",
        protocolVariant: "binary",
      },
      { name: "cache", namespace: "default", host: "cache.default.svc.cluster.local", protocol: "redis", port: 6379, versions: { v1: { replicas: 1 } }, redis: { mode: "single" } },
      { name: "events", namespace: "default", host: "events.default.svc.cluster.local", protocol: "kafka", port: 9092, versions: { v1: { replicas: 1 } }, kafka: { brokers: 1 } },
      { name: "greeter", namespace: "default", host: "greeter.default.svc.cluster.local", protocol: "dubbo", port: 20880, versions: { v1: { replicas: 1 } } },
    ]);
  });

  it("reports YAML syntax errors, empty files and several documents", async () => {
    expect((await problemsOf(scenarioFile("metadata: {name: [\n")))[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^YAML syntax error/) });
    expect((await problemsOf(scenarioFile("")))[0]!.message).toMatch(/the file is empty/);
    const two = await problemsOf(scenarioFile(`${HEAD}steps: [{sleep: 1s}]\n---\n${HEAD}steps: [{sleep: 1s}]\n`));
    expect(two).toEqual([expect.objectContaining({ line: 11, message: "expected one YAML document, found 2; put each scenario in its own file" })]);
    expect((await problemsOf(join(dir, "missing.yaml")))[0]!.message).toBe("scenario file not found");
  });

  it("asks for a unit on a bare number and for the right shape of a resource entry", async () => {
    const file = scenarioFile(`${HEAD}resources:
  - fle: x.yaml
steps:
  - {name: pause, sleep: 10}
`);
    expect((await problemsOf(file)).map((p) => p.message)).toEqual([
      'expected an inline resource (apiVersion, kind, metadata.name) or {file: path}, got fields "fle"; did you mean "file" instead of "fle"?',
      'expected a duration like "10s", "500ms" or "2m", got 10 (add a unit: "10s" or "10ms")',
    ]);
  });
});

describe("validateScenarioFiles", () => {
  it("collects problems of every file and runs resource checks on valid ones", async () => {
    const bad = scenarioFile(`${HEAD}steps: [{name: x, sleeep: 1s}]\n`);
    const seen: string[] = [];
    const problems = await validateScenarioFiles([testdata("split.yaml"), bad], {
      validateResource: (r) => {
        seen.push(`${r.kind}@${r.source.line}`);
        if (r.kind !== "MetaRouter") return [];
        const at = r.source.locate(["spec", "hosts"]);
        return [{ file: r.source.file, line: at.line, column: at.column, resource: `${r.kind}/${r.name}`, path: "spec.hosts", message: "checked" }];
      },
    });
    expect(seen).toEqual(["ServiceEntry@1", "DestinationRule@7", "MetaRouter@17", "ServiceEntry@1", "DestinationRule@7"]);
    expect(problems.map((p) => `${p.line} ${p.path} ${p.message}`)).toEqual(["21 spec.hosts checked", '9 steps[0].sleeep unknown field "sleeep"; did you mean "sleep"?']);
  });

  it("holds distribution shares of 0 and 1 exactly unless the scenario gives a tolerance", async () => {
    const scenario = await loadScenario("scenarios/thrift/version-routing.yaml");
    const checks = scenario.steps.flatMap((s) => s.expect).filter((e) => e.kind === "distribution");
    expect(checks.map((e) => e.kind === "distribution" && e.exact)).toEqual(["zero-one", "all", "zero-one"]);
    const split = await loadScenario("scenarios/thrift/traffic-split.yaml");
    expect(split.steps.flatMap((s) => s.expect).find((e) => e.kind === "distribution")).toMatchObject({ exact: "none", tolerance: 0.03 });
  });
});
