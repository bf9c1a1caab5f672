/**
 * The codec kit's conformance suite on the Dubbo codec. Samples: requests written by
 * apache-dubbo-js's own encoder (pipelined too), its heartbeat, and a non-OK response; local
 * replies are checked with apache-dubbo-js's response decoder.
 */
import { createRequire } from "node:module";
import { expect, it } from "vitest";
import { codecConformance, formatConformanceReport } from "../../codec/conformance.ts";
import { createDubboCodec } from "./index.ts";
import { dubboSamples } from "./testdata/samples.ts";

const require = createRequire(import.meta.url);
const { decode } = require("apache-dubbo-js/es7/decode.js") as { decode(b: Buffer): { err: Error | null; requestId: number } };

it("passes the codec conformance suite", async () => {
  const samples = dubboSamples();
  const report = await codecConformance(createDubboCodec, samples, {
    throughputMs: 50,
    realClient: (reply) => {
      const { err } = decode(reply);
      if (!err || !/meshsim: /.test(err.message)) throw new Error(`apache-dubbo-js did not read an error with the reason: ${err?.message}`);
    },
  });
  expect(report.passed, formatConformanceReport(report)).toBe(true);
}, 60_000);
