/**
 * The Dubbo codec as a codec-test module:  npx meshsim codec-test dubbo
 * Samples: requests written by apache-dubbo-js's own encoder (pipelined too), its heartbeat and a
 * non-OK response; local replies are read back with apache-dubbo-js's response decoder.
 */
import { createRequire } from "node:module";
import type { CodecSample, ConformanceOptions } from "../../../codec/conformance.ts";
import { createDubboCodec } from "../index.ts";
import { dubboSamples } from "./samples.ts";

const require = createRequire(import.meta.url);
const { decode } = require("apache-dubbo-js/es7/decode.js") as { decode(b: Buffer): { err: Error | null; requestId: number } };

export const codec = createDubboCodec;

export const samples = (): CodecSample[] => dubboSamples();

export const options: ConformanceOptions = {
  realClient: (reply) => {
    const { err } = decode(reply);
    if (!err || !/meshsim: /.test(err.message)) throw new Error(`apache-dubbo-js did not read an error with the reason: ${err?.message}`);
  },
};
