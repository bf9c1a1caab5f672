/**
 * The Kafka codec on bytes captured from kafkajs and Apache Kafka 4.1 (testdata/capture.ts):
 * request metadata, response matching, broker address rewriting, local error replies read by
 * kafkajs's own decoders, and request order kept on a connection.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Message } from "../../codec/codec.ts";
import { codecConformance, formatConformanceReport } from "../../codec/conformance.ts";
import type { ListenerConfig } from "../../config/types.ts";
import { API_KEY, API_KEYS, responseHeaderVersion } from "./api-keys.ts";
import { KafkaApiStats } from "./api-stats.ts";
import { KafkaCodec } from "./codec.ts";
import { createKafkaCodec } from "./index.ts";
import { writeErrorBody } from "./requests/error-response.ts";
import { Cursor, Writer } from "./wire.ts";

const require = createRequire(import.meta.url);
const testdata = join(import.meta.dirname, "testdata");
const captures = readdirSync(testdata)
  .filter((f) => /^kafkajs-\w+-v\d+\.request$/.test(f))
  .map((f) => {
    const [, api, version] = /^kafkajs-(\w+)-v(\d+)\.request$/.exec(f)!;
    return { api: api!, version: Number(version), request: readFileSync(join(testdata, f)), response: readFileSync(join(testdata, f.replace(/request$/, "response"))) };
  });

const LISTENER: ListenerConfig = { name: "kafka", address: { host: "127.0.0.1", port: 0 }, codec: "kafka", routeConfigName: "r", statPrefix: "kafka" };

function decodeOne(codec: KafkaCodec, bytes: Buffer): Message {
  const r = codec.decode(bytes, 0);
  if (r.status !== "message") throw new Error(`decode: ${r.status === "error" ? r.error.message : "need more data"}`);
  expect(r.consumed).toBe(bytes.length);
  return r.message;
}

/** kafkajs's decoder and parser for one API version's response body. */
async function kafkajsParse(api: string, version: number, frame: Buffer): Promise<unknown> {
  const dir = api[0]!.toLowerCase() + api.slice(1);
  const response = require(`kafkajs/src/protocol/requests/${dir}/v${version}/response.js`) as { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
  return response.parse(await response.decode(frame.subarray(8)));
}

/** A broker-style response frame written from the response schema (errorCode 0, the given values). */
function responseFrame(apiKey: number, version: number, correlationId: number, values: Parameters<typeof writeErrorBody>[6]): Buffer {
  const flexible = version >= API_KEYS[apiKey]!.firstFlexibleVersion && API_KEYS[apiKey]!.firstFlexibleVersion >= 0;
  const w = new Writer().int32(0).int32(correlationId);
  if (responseHeaderVersion(apiKey, version) === 1) w.emptyTaggedFields();
  writeErrorBody(w, apiKey, version, flexible, 0, "", values);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return Buffer.from(frame);
}

function requestFrame(apiKey: number, version: number, correlationId: number): Buffer {
  const flexible = version >= API_KEYS[apiKey]!.firstFlexibleVersion && API_KEYS[apiKey]!.firstFlexibleVersion >= 0;
  const w = new Writer().int32(0).int16(apiKey).int16(version).int32(correlationId).string("test-client", false);
  if (flexible) w.emptyTaggedFields();
  if (apiKey === API_KEY.Metadata) w.arrayLength(-1, flexible);
  if (flexible) w.emptyTaggedFields();
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return Buffer.from(frame);
}

describe("kafka codec", () => {
  it("has captures of the APIs a kafkajs producer and consumer group use", () => {
    expect(captures.map((c) => c.api)).toEqual(expect.arrayContaining(["ApiVersions", "Metadata", "Produce", "Fetch", "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetCommit", "InitProducerId"]));
  });

  it("reads api key, name, version, client id and topic from real requests", () => {
    for (const c of captures) {
      const m = decodeOne(new KafkaCodec("downstream", undefined), Buffer.from(c.request));
      expect(m.kind).toBe("request");
      expect(m.metadata.get("api_name")).toBe(c.api);
      expect(m.metadata.get("api_version")).toBe(String(c.version));
      expect(m.metadata.get("client_id")).toBe("capture");
      expect(m.requestId).toBe(c.request.readInt32BE(8));
      if (c.api === "Produce" || c.api === "Fetch") expect(m.metadata.get("topic")).toBe("capture");
    }
  });

  it("matches responses by correlation id on the upstream side, and rewrites the id both ways", () => {
    for (const c of captures) {
      const down = new KafkaCodec("downstream", undefined);
      const request = decodeOne(down, Buffer.from(c.request));
      request.requestId = 4242;
      const sent = down.encode(request);
      expect(sent.readInt32BE(8)).toBe(4242);
      const upstream = down.upstreamCodecFactory!() as KafkaCodec;
      const response = Buffer.from(c.response);
      response.writeInt32BE(4242, 4);
      const r = decodeOne(upstream, response);
      expect(r.kind).toBe("response");
      expect(r.requestId).toBe(4242);
      r.requestId = c.request.readInt32BE(8);
      const out = down.rewriteResponse(r, request, LISTENER);
      expect(out.equals(c.response)).toBe(true);
    }
  });

  it("rewrites broker addresses in Metadata and FindCoordinator responses kafkajs reads", async () => {
    for (const api of ["Metadata", "FindCoordinator"]) {
      const c = captures.find((x) => x.api === api)!;
      const parsed = (await kafkajsParse(api, c.version, c.response)) as { brokers?: Array<{ host: string; port: number }>; coordinator?: { host: string; port: number } };
      const before = parsed.brokers?.[0] ?? parsed.coordinator!;
      const down = new KafkaCodec("downstream", undefined);
      const request = decodeOne(down, Buffer.from(c.request));
      const response = decodeOne(down.upstreamCodecFactory!() as KafkaCodec, Buffer.from(c.response));
      const listener = { ...LISTENER, kafkaBrokerAddresses: { [`${before.host}:${before.port}`]: { host: "proxy.local", port: 19092 } } };
      const out = down.rewriteResponse(response, request, listener);
      const after = (await kafkajsParse(api, c.version, out)) as typeof parsed;
      expect(after.brokers?.[0] ?? after.coordinator).toMatchObject({ host: "proxy.local", port: 19092 });
      if (api === "Metadata") expect((after as { topicMetadata: unknown }).topicMetadata).toEqual((parsed as { topicMetadata: unknown }).topicMetadata);
    }
  });

  it("rewrites broker addresses in every version of Metadata, FindCoordinator and DescribeCluster", () => {
    const map = { "10.0.0.1:9092": { host: "127.0.0.1", port: 15001 }, "10.0.0.2:9092": { host: "127.0.0.1", port: 15002 } };
    const brokers = [
      { NodeId: 1, BrokerId: 1, Host: "10.0.0.1", Port: 9092, Rack: "r1" },
      { NodeId: 2, BrokerId: 2, Host: "10.0.0.2", Port: 9092, Rack: null },
    ];
    const cases: Array<[number, number, Parameters<typeof writeErrorBody>[6]]> = [];
    for (let v = API_KEYS[API_KEY.Metadata]!.minVersion; v <= API_KEYS[API_KEY.Metadata]!.maxVersion; v++)
      cases.push([API_KEY.Metadata, v, { Brokers: brokers, Topics: [{ Name: "t", Partitions: [{ PartitionIndex: 0, LeaderId: 1 }] }] }]);
    for (let v = 0; v <= 3; v++) cases.push([API_KEY.FindCoordinator, v, { NodeId: 2, Host: "10.0.0.2", Port: 9092 }]);
    for (let v = 4; v <= API_KEYS[API_KEY.FindCoordinator]!.maxVersion; v++)
      cases.push([
        API_KEY.FindCoordinator,
        v,
        {
          Coordinators: [
            { Key: "g", NodeId: 1, Host: "10.0.0.1", Port: 9092 },
            { Key: "h", NodeId: 2, Host: "10.0.0.2", Port: 9092 },
          ],
        },
      ]);
    for (let v = 0; v <= API_KEYS[API_KEY.DescribeCluster]!.maxVersion; v++) cases.push([API_KEY.DescribeCluster, v, { ClusterId: "c", Brokers: brokers }]);
    for (const [apiKey, version, values] of cases) {
      const down = new KafkaCodec("downstream", undefined);
      const request = decodeOne(down, requestFrame(apiKey, version, 7));
      const original = responseFrame(apiKey, version, 7, values);
      const response = decodeOne(down.upstreamCodecFactory!() as KafkaCodec, Buffer.from(original));
      const out = down.rewriteResponse(response, request, { ...LISTENER, kafkaBrokerAddresses: map });
      const text = out.toString("latin1");
      expect(text, `api ${apiKey} v${version}`).not.toContain("10.0.0.");
      expect(out.readInt32BE(0)).toBe(out.length - 4);
      // The same frame with the addresses swapped back is the original: nothing else changed.
      const expected = responseFrame(
        apiKey,
        version,
        7,
        JSON.parse(JSON.stringify(values).replaceAll('"10.0.0.1","Port":9092', '"127.0.0.1","Port":15001').replaceAll('"10.0.0.2","Port":9092', '"127.0.0.1","Port":15002')),
      );
      expect(out.equals(expected), `api ${apiKey} v${version}`).toBe(true);
    }
  });

  it("counts a broker list it could not parse, which the client would use to bypass the proxy", () => {
    const map = { "10.0.0.1:9092": { host: "127.0.0.1", port: 15001 } };
    const stats = new KafkaApiStats();
    const down = new KafkaCodec("downstream", stats);
    const request = decodeOne(down, requestFrame(API_KEY.Metadata, 9, 7));
    const whole = responseFrame(API_KEY.Metadata, 9, 7, { Brokers: [{ NodeId: 1, Host: "10.0.0.1", Port: 9092, Rack: null }], Topics: [] });
    // Cut inside the broker list, frame length fixed up: a response the rewriter cannot walk.
    const cut = Buffer.from(whole.subarray(0, 24));
    cut.writeInt32BE(cut.length - 4, 0);
    const response = decodeOne(down.upstreamCodecFactory!() as KafkaCodec, cut);
    const out = down.rewriteResponse(response, request, { ...LISTENER, kafkaBrokerAddresses: map });
    expect(out.equals(cut)).toBe(true); // passed on as the broker sent it
    expect(stats.codec.broker_address_unparsed).toBe(1);
    expect(stats.codec.broker_address_rewritten).toBe(0);
    // A response that parses is not counted.
    const again = decodeOne(down, requestFrame(API_KEY.Metadata, 9, 8));
    down.rewriteResponse(
      decodeOne(down.upstreamCodecFactory!() as KafkaCodec, responseFrame(API_KEY.Metadata, 9, 8, { Brokers: [{ NodeId: 1, Host: "10.0.0.1", Port: 9092, Rack: null }], Topics: [] })),
      again,
      { ...LISTENER, kafkaBrokerAddresses: map },
    );
    expect(stats.codec.broker_address_unparsed).toBe(1);
    expect(stats.codec.broker_address_rewritten).toBe(1);
  });

  it("reports per-API latency percentiles by nearest rank", () => {
    const stats = new KafkaApiStats();
    for (const ms of [1, 2, 3, 4]) stats.response(API_KEY.Produce, ms, 0, false);
    const produce = Object.fromEntries([...stats.entries()].filter(([k]) => k.startsWith("kafka.api.Produce.")));
    // p50 of 4 samples is the 2nd smallest, p99 the 4th.
    expect(produce["kafka.api.Produce.latency_ms_p50"]).toBe(2);
    expect(produce["kafka.api.Produce.latency_ms_p99"]).toBe(4);
    const two = new KafkaApiStats();
    for (const ms of [10, 20]) two.response(API_KEY.Produce, ms, 0, false);
    expect(Object.fromEntries(two.entries())["kafka.api.Produce.latency_ms_p50"]).toBe(10);
  });

  it("answers every captured request with a local error kafkajs decodes as that error", async () => {
    for (const c of captures) {
      const down = new KafkaCodec("downstream", undefined);
      const request = decodeOne(down, Buffer.from(c.request));
      const reply = down.localReply(request, { kind: "fault_abort", message: "fault injected: REQUEST_TIMED_OUT" });
      expect(reply.readInt32BE(0)).toBe(reply.length - 4);
      expect(reply.readInt32BE(4)).toBe(c.request.readInt32BE(8));
      const outcome = await kafkajsParse(c.api, c.version, reply).then(
        () => "parsed",
        (e: { type?: string }) => e.type,
      );
      // kafkajs's parse throws the broker error it finds; a few APIs carry none at top level.
      expect(["REQUEST_TIMED_OUT", "parsed"], c.api).toContain(outcome);
      if (["Produce", "ApiVersions", "FindCoordinator", "InitProducerId", "JoinGroup", "SyncGroup"].includes(c.api)) expect(outcome, c.api).toBe("REQUEST_TIMED_OUT");
    }
  });

  it("writes a local error reply for every API key and version the broker speaks", () => {
    for (const info of Object.values(API_KEYS)) {
      for (let v = info.minVersion; v <= info.maxVersion; v++) {
        const down = new KafkaCodec("downstream", undefined);
        const request = decodeOne(down, requestFrame(info.key, v, 99));
        const reply = down.localReply(request, { kind: "rate_limited", message: "limited" });
        const r = decodeOne(down.upstreamCodecFactory!() as KafkaCodec, reply);
        expect(r.requestId).toBe(99);
      }
    }
  });

  it("Produce with acks=0 is oneway; the local reply for Produce answers every partition", async () => {
    const c = captures.find((x) => x.api === "Produce")!;
    const down = new KafkaCodec("downstream", undefined);
    const request = decodeOne(down, Buffer.from(c.request));
    const reply = down.localReply(request, { kind: "timeout", message: "late" });
    const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/response.js") as { decode(b: Buffer): Promise<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }> };
    const decoded = await produceV7.decode(reply.subarray(8));
    expect(decoded.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([7]);
    const acks0 = Buffer.from(c.request);
    // transactional_id (null, 2 bytes) follows the header; acks is next.
    const headerEnd = 12 + 2 + acks0.readInt16BE(12);
    acks0.writeInt16BE(0, headerEnd + 2);
    expect(decodeOne(new KafkaCodec("downstream", undefined), acks0).kind).toBe("oneway");
  });

  it("keeps responses in request order when answers are ready out of order", () => {
    const down = new KafkaCodec("downstream", undefined);
    const pipelined = readFileSync(join(testdata, "kafkajs-pipelined.request"));
    const requests: Message[] = [];
    for (let at = 0; at < pipelined.length; ) {
      const r = down.decode(pipelined, at);
      if (r.status !== "message") throw new Error("decode");
      requests.push(r.message);
      at += r.consumed;
    }
    expect(requests.length).toBe(3);
    const up = down.upstreamCodecFactory!() as KafkaCodec;
    const third = down.localReply(requests[2]!, { kind: "rate_limited", message: "x" });
    expect(third.length).toBe(0);
    const first = responseFrame(API_KEY.ApiVersions, 0, requests[0]!.requestId, {});
    const out1 = down.rewriteResponse(decodeOne(up, first), requests[0]!, LISTENER);
    expect(out1.equals(first)).toBe(true);
    const out2 = down.localReply(requests[1]!, { kind: "rate_limited", message: "x" });
    const ids: number[] = [];
    for (let at = 0; at < out2.length; at += 4 + out2.readInt32BE(at)) ids.push(out2.readInt32BE(at + 4));
    expect(ids).toEqual([requests[1]!.requestId, requests[2]!.requestId]);
  });

  it("passes the codec conformance suite on captured requests and responses", async () => {
    const requests = captures.map((c) => ({ name: `kafkajs-${c.api}-v${c.version}.request`, bytes: c.request, mutation: "ignored" as const }));
    requests.push({ name: "kafkajs-pipelined.request", bytes: readFileSync(join(testdata, "kafkajs-pipelined.request")), mutation: "ignored" });
    const down = await codecConformance(createKafkaCodec, requests, { throughputMs: 30, localErrorKinds: [], numRuns: 50 });
    expect(down.passed, formatConformanceReport(down)).toBe(true);
    const responses = captures.map((c) => ({ name: `kafkajs-${c.api}-v${c.version}.response`, bytes: c.response, mutation: "ignored" as const }));
    const upstreamFactory = createKafkaCodec().upstreamCodecFactory!;
    const up = await codecConformance(upstreamFactory, responses, { throughputMs: 30, localErrorKinds: [], numRuns: 50 });
    expect(up.passed, formatConformanceReport(up)).toBe(true);
  }, 60_000);

  it("reads UNSIGNED_VARINT and tagged fields", () => {
    const w = new Writer()
      .uvarint(300)
      .uvarint(2)
      .uvarint(1)
      .uvarint(2)
      .raw(Buffer.from([1, 2]))
      .uvarint(5)
      .uvarint(0)
      .int8(9);
    const c = new Cursor(w.toBuffer(), 0);
    expect(c.uvarint()).toBe(300);
    c.skipTaggedFields();
    expect(c.int8()).toBe(9);
  });
});
