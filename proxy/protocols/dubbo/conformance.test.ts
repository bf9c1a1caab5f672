/**
 * The codec kit's conformance suite on the Dubbo codec, as `meshsim codec-test dubbo` runs it
 * (testdata/codec-test-module.ts): requests written by apache-dubbo-js's own encoder, local
 * replies read back with apache-dubbo-js's response decoder.
 */
import { expect, it } from "vitest";
import { codecConformance, formatConformanceReport } from "../../codec/conformance.ts";
import { codec, options, samples } from "./testdata/codec-test-module.ts";

it("passes the codec conformance suite", async () => {
  const report = await codecConformance(codec, samples(), { ...options, throughputMs: 50 });
  expect(report.passed, formatConformanceReport(report)).toBe(true);
}, 60_000);
