/**
 * The Kafka request codec (what a listener reads from clients) as a codec-test module:
 *   npx meshsim codec-test kafka
 * Samples: requests kafkajs sent to a real broker, captured one per API and version, and a
 * pipelined stream. Kafka has no header for mutations, and its error replies are built per API
 * by the proxy itself (no generic local reply kinds).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CodecSample, ConformanceOptions } from "../../../codec/conformance.ts";
import { createKafkaCodec } from "../index.ts";

const here = dirname(fileURLToPath(import.meta.url));

export const codec = createKafkaCodec;

export const samples = (): CodecSample[] =>
  readdirSync(here)
    .filter((f) => /^kafkajs-[\w-]+\.request$/.test(f))
    .sort()
    .map((f) => ({ name: f, bytes: readFileSync(join(here, f)), mutation: "ignored" }));

export const options: ConformanceOptions = { localErrorKinds: [] };
