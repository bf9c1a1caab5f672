/** The codec kit's conformance suite on the Thrift codec, over the captured testdata. */
import { expect, it } from "vitest";
import { codecConformance, formatConformanceReport } from "../../codec/conformance.ts";
import { codec, options, samples } from "./testdata/codec-test-module.ts";

it("passes the codec conformance suite", async () => {
  const report = await codecConformance(codec, samples(), { ...options, throughputMs: 50 });
  expect(report.passed, formatConformanceReport(report)).toBe(true);
  expect(report.properties.map((p) => p.name)).toContain("local-reply");
  expect(report.messages).toBeGreaterThan(100);
}, 60_000);
