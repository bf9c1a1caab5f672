import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSampledTrace } from "./sampled-trace.ts";

const span = (traceId: string, spanId: string, startMs: number, extra: object = {}) => ({
  traceId,
  spanId,
  name: "hello/sayHello",
  kind: 3,
  startTimeUnixNano: String(BigInt(startMs) * 1_000_000n),
  endTimeUnixNano: String(BigInt(startMs + 2) * 1_000_000n + 500_000n),
  attributes: [{ key: "meshsim.outcome", value: { stringValue: "ok" } }],
  ...extra,
});
const request = (service: string, spans: object[]) =>
  JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] });

describe("the report's sampled trace", () => {
  it("takes the trace with the most spans across the sidecars' files, spans by start time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshsim-traces-"));
    writeFileSync(join(dir, "sidecar-a.traces.jsonl"), `${request("sidecar-a", [span("t1", "s1", 1000), span("t2", "s2", 2000)])}\n`);
    writeFileSync(join(dir, "sidecar-b.traces.jsonl"), `${request("sidecar-b", [span("t2", "s3", 1990, { parentSpanId: "s2", status: { code: 2 } })])}\n`);
    writeFileSync(join(dir, "sidecar-b.log"), "not spans\n");
    const trace = await readSampledTrace(dir);
    expect(trace).toEqual({
      traceId: "t2",
      spans: [
        {
          service: "sidecar-b",
          name: "hello/sayHello",
          spanId: "s3",
          parentSpanId: "s2",
          startTime: new Date(1990).toISOString(),
          durationMs: 2.5,
          error: true,
          attributes: { "meshsim.outcome": "ok" },
        },
        { service: "sidecar-a", name: "hello/sayHello", spanId: "s2", startTime: new Date(2000).toISOString(), durationMs: 2.5, error: false, attributes: { "meshsim.outcome": "ok" } },
      ],
    });
  });

  it("is absent when no sidecar exported a span", async () => {
    expect(await readSampledTrace(mkdtempSync(join(tmpdir(), "meshsim-traces-")))).toBeUndefined();
  });
});
