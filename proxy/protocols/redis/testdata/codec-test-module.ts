/**
 * The RESP codec as a codec-test module:  npx meshsim codec-test redis
 * Samples: requests and replies in RESP2, RESP3 and inline form. RESP has no header to carry a
 * mutation, and matches replies by order rather than by id.
 */
import type { CodecSample, ConformanceOptions } from "../../../codec/conformance.ts";
import { createRedisCodec } from "../index.ts";
import { SAMPLES } from "./samples.ts";

export const codec = createRedisCodec;

export const samples: CodecSample[] = SAMPLES.map((s) => ({ ...s, mutation: "ignored" }));

export const options: ConformanceOptions = { repliesInOrder: true };
