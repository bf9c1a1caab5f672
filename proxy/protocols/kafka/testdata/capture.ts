/**
 * Captures real Kafka traffic for the codec tests: a one-node Apache Kafka broker that advertises
 * a recording TCP tap, and kafkajs (admin, idempotent producer, consumer group) talking through
 * it. For each API and version seen, the last request and its response (after any retries, so a
 * successful one) are written as
 * `kafkajs-<ApiName>-v<N>.request` / `.response`, plus `kafkajs-pipelined.request` (one
 * connection's first requests back to back).
 *
 *   node --import tsx proxy/protocols/kafka/testdata/capture.ts
 */
import { writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { startKafkaCluster } from "../../../../fixtures/kafka/broker.ts";
import { allocatePort } from "../../../../common/ports.ts";
import { apiName } from "../api-keys.ts";

const here = dirname(fileURLToPath(import.meta.url));

function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const end = at + 4 + bytes.readInt32BE(at);
    if (end > bytes.length) break;
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

const tapPort = await allocatePort();
const cluster = await startKafkaCluster({ brokers: 1, properties: { "advertised.listeners": `PLAINTEXT://127.0.0.1:${tapPort}` } });
const brokerPort = cluster.nodes[0]!.port;
const connections: Array<{ up: Buffer[]; down: Buffer[] }> = [];
const tap = createServer((client: Socket) => {
  const record = { up: [] as Buffer[], down: [] as Buffer[] };
  connections.push(record);
  const server = connect({ host: "127.0.0.1", port: brokerPort });
  client.on("data", (d: Buffer) => {
    record.up.push(Buffer.from(d));
    server.write(d);
  });
  server.on("data", (d: Buffer) => {
    record.down.push(Buffer.from(d));
    client.write(d);
  });
  client.on("close", () => server.destroy());
  server.on("close", () => client.destroy());
  client.on("error", () => {});
  server.on("error", () => {});
});
await new Promise<void>((r) => tap.listen(tapPort, "127.0.0.1", r));

try {
  const kafka = new Kafka({ clientId: "capture", brokers: [`127.0.0.1:${tapPort}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "capture", numPartitions: 2 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic: "capture",
    acks: -1,
    messages: [
      { key: "k1", value: "hello" },
      { key: "k2", value: "world" },
    ],
  });
  const consumer = kafka.consumer({ groupId: "capture-group", maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: "capture", fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => void consumer.run({ eachMessage: async () => void (++seen === 2 && resolve()) }));
  await consumer.disconnect();
  await producer.disconnect();
  await admin.disconnect();
} finally {
  tap.close();
  await cluster.stop();
}

const written = new Set<string>();
for (const [i, c] of connections.entries()) {
  const requests = frames(Buffer.concat(c.up));
  const responses = frames(Buffer.concat(c.down));
  if (i === 0) writeFileSync(join(here, "kafkajs-pipelined.request"), Buffer.concat(requests.slice(0, 3)));
  for (const request of requests) {
    const name = `kafkajs-${apiName(request.readInt16BE(4))}-v${request.readInt16BE(6)}`;
    const response = responses.find((r) => r.readInt32BE(4) === request.readInt32BE(8));
    if (!response) continue;
    written.add(name);
    writeFileSync(join(here, `${name}.request`), request);
    writeFileSync(join(here, `${name}.response`), response);
  }
}
console.log(`captured ${[...written].sort().join(", ")}`);
