/**
 * Every built-in codec as a fuzz target: its factory, seeds from its captured or library-written
 * samples, and the folder its regression samples live in. Used by `npm run bench:fuzz` and by
 * fuzz-regressions.test.ts, which replays what the fuzzer once found.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FuzzTarget } from "../codec/fuzz.ts";
import { createDubboCodec } from "./dubbo/index.ts";
import { dubboSamples } from "./dubbo/testdata/samples.ts";
import { createKafkaCodec } from "./kafka/index.ts";
import { createRedisCodec } from "./redis/index.ts";
import { SAMPLES as RESP_SAMPLES } from "./redis/testdata/samples.ts";
import { createThriftCodec } from "./thrift/index.ts";
import { samples as thriftSamples } from "./thrift/testdata/codec-test-module.ts";

const here = import.meta.dirname;
const regressions = (protocol: string) => join(here, protocol, "testdata", "fuzz-regressions");
const kafkaCaptures = (suffix: string) =>
  readdirSync(join(here, "kafka", "testdata"))
    .filter((n) => n.endsWith(suffix))
    .sort()
    .map((n) => readFileSync(join(here, "kafka", "testdata", n)));

export function fuzzTargets(): FuzzTarget[] {
  return [
    { name: "thrift", factory: createThriftCodec, seeds: thriftSamples().map((s) => s.bytes), regressionDir: regressions("thrift") },
    { name: "dubbo", factory: createDubboCodec, seeds: dubboSamples().map((s) => s.bytes), regressionDir: regressions("dubbo") },
    { name: "resp", factory: createRedisCodec, seeds: RESP_SAMPLES.map((s) => s.bytes), regressionDir: regressions("redis") },
    { name: "kafka-requests", factory: createKafkaCodec, seeds: kafkaCaptures(".request"), regressionDir: regressions("kafka") },
    { name: "kafka-responses", factory: createKafkaCodec().upstreamCodecFactory!, seeds: kafkaCaptures(".response"), regressionDir: regressions("kafka") },
  ];
}
