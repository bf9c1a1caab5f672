/**
 * The Kafka scenarios in scenarios/kafka/ run end to end (real brokers, the control plane, a
 * sidecar configured over xDS, kafkajs producers), and their assertions can fail: with its policy
 * taken out, a policy scenario fails. Last, topic-prefix routing to a second Kafka cluster
 * (programmatic: a proxy configured directly, see docs/kafka.md for what it can and cannot do).
 */
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startKafkaCluster, type KafkaCluster } from "../fixtures/kafka/broker.ts";
import { describeWithKafka } from "../fixtures/kafka/describe-with-kafka.ts";
import { startKafkaMesh, type KafkaMesh } from "../fixtures/kafka/kafka-mesh.ts";
import { runScenario } from "./runner.ts";
import { expectFailuresExactly } from "./policy-scenarios.ts";
import { loadScenario } from "./scenario/loader.ts";
import type { Scenario } from "./scenario/types.ts";

function failures(summary: Awaited<ReturnType<typeof runScenario>>): string[] {
  return summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.message}`));
}

// biome-ignore lint/suspicious/noExplicitAny: scenario YAML edited in place, untyped by nature
type Obj = Record<string, any>;

function stripped(s: Scenario, strip: (r: Obj) => void): Scenario {
  for (const r of [...s.resources, ...s.steps.flatMap((step) => step.apply)]) strip(r.object as Obj);
  return s;
}

describeWithKafka("kafka scenarios", () => {
  it.each(["produce", "delay-fault", "error-fault", "rate-limit", "broker-restart"])(
    "%s passes",
    async (name) => {
      const summary = await runScenario(`scenarios/kafka/${name}.yaml`, { noReports: true });
      expect(summary.error).toBeUndefined();
      expect(failures(summary)).toEqual([]);
      expect(summary.passed).toBe(true);
    },
    90_000,
  );

  it("error-fault fails without its fault policy", async () => {
    const scenario = stripped(await loadScenario("scenarios/kafka/error-fault.yaml"), (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"]);
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary).join("\n")).toMatch(/kafka\.api\.Produce\.local_reply=0 >= 8/);
    expect(summary.passed).toBe(false);
  }, 90_000);

  it("broker-restart fails on the down step when the broker is not killed", async () => {
    const scenario = await loadScenario("scenarios/kafka/broker-restart.yaml");
    scenario.steps = scenario.steps.filter((s) => s.name !== "crash the broker" && s.name !== "restart it");
    const summary = await runScenario(scenario, { noReports: true, failFast: false });
    expect(summary.error).toBeUndefined();
    expect(failures(summary)).toEqual([expect.stringMatching(/^broker down: errors: total=0 \(expected 10\)/)]);
  }, 90_000);

  it("broker-restart's consume step fails when the topic holds fewer messages than it reads", async () => {
    const scenario = await loadScenario("scenarios/kafka/broker-restart.yaml");
    const until = scenario.steps.findIndex((s) => s.name === "consume 105");
    scenario.steps = scenario.steps.slice(0, until + 1);
    const consume = scenario.steps[until]!.traffic!;
    consume.executor = { ...consume.executor, count: 106 };
    const summary = await runScenario(scenario, { noReports: true, failFast: false });
    expect(summary.error).toBeUndefined();
    expect(failures(summary)).toEqual([expect.stringMatching(/^consume 105: success rate: 105\/106 .*timeout=1/)]);
  }, 90_000);

  it("delay-fault fails without its delay, on the delay's latency checks only", async () => {
    const scenario = stripped(await loadScenario("scenarios/kafka/delay-fault.yaml"), (r) => delete r.metadata?.annotations?.["meshsim.dev/route-policies"]);
    await expectFailuresExactly(scenario, [/^delayed: thresholds p\(50\) > 100ms$/, /^delayed: added latency p\(50\) over baseline$/]);
  }, 90_000);

  it("rate-limit fails without its rate limit", async () => {
    const scenario = stripped(await loadScenario("scenarios/kafka/rate-limit.yaml"), (r) => delete r.spec?.localRateLimit);
    const summary = await runScenario(scenario, { noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failures(summary).join("\n")).toMatch(/THROTTLING_QUOTA_EXCEEDED|total=0/);
    expect(summary.passed).toBe(false);
  }, 90_000);
});

describeWithKafka("kafka topic-prefix routing to a second cluster", () => {
  let main: KafkaCluster;
  let audit: KafkaCluster;
  let mesh: KafkaMesh;
  const AUDIT_CLUSTER = "outbound|9092||audit-kafka.default.svc.cluster.local";

  beforeAll(async () => {
    [main, audit] = await Promise.all([startKafkaCluster({ brokers: 1, heap: "256m" }), startKafkaCluster({ brokers: 1, heap: "256m" })]);
    mesh = await startKafkaMesh(main);
    const [broker] = mesh.brokers;
    // The audit cluster's broker is advertised as the listener of the main cluster's broker with the
    // same position (both are node 1): clients see one broker, the proxy picks the cluster per request.
    mesh.setCluster(AUDIT_CLUSTER, [{ host: audit.nodes[0]!.host, port: audit.nodes[0]!.port }]);
    await mesh.addBrokerAddresses({ [audit.bootstrap[0]!]: broker!.listener });
    mesh.setRoutes(() => [{ name: "audit", match: [{ name: "topic", kind: "prefix", value: "audit." }], action: { kind: "cluster", cluster: AUDIT_CLUSTER } }]);
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await Promise.all([main?.stop(), audit?.stop()]);
  });

  const direct = (cluster: KafkaCluster) => new Kafka({ clientId: "direct", brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
  async function endOffset(cluster: KafkaCluster, topic: string): Promise<number | "absent"> {
    const admin = direct(cluster).admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic)) return "absent";
      return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  it("one producer through the proxy: audit.* lands on the audit cluster, the rest on the main one", async () => {
    // Each topic exists on its own cluster, and with auto-creation off nowhere else: a Metadata
    // request naming both topics goes (by its first topic) to one cluster, which must know both.
    for (const [cluster, topic] of [
      [main, "orders.x"],
      [audit, "audit.x"],
      [main, "audit.x"],
    ] as const) {
      const admin = direct(cluster).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
    }
    const producer = new Kafka({ clientId: "router", brokers: mesh.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: "orders.x", acks: -1, messages: [{ key: `o-${i}`, value: "order" }] });
      await producer.send({ topic: "audit.x", acks: -1, messages: [{ key: `a-${i}`, value: "audit" }] });
    }
    await producer.disconnect();
    expect(await endOffset(main, "orders.x")).toBe(20);
    expect(await endOffset(audit, "audit.x")).toBe(20);
    expect(await endOffset(main, "audit.x")).toBe(0);
    expect(await endOffset(audit, "orders.x")).toBe("absent");
    expect(mesh.stat("kafka.broker_address_unknown")).toBe(0);
  }, 120_000);
});
