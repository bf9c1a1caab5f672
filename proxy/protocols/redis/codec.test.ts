/** RESP framing, slots and the codec kit's conformance suite on the RESP codec. */
import { describe, expect, it } from "vitest";
import { codecConformance, formatConformanceReport } from "../../codec/conformance.ts";
import { createRedisCodec } from "./codec.ts";
import { knownCommands, lookupCommand } from "./commands.ts";
import { MALFORMED, NEED_MORE, replyEnd, RequestParser } from "./resp.ts";
import { crc16, slotOf } from "./slot.ts";
import { SAMPLES } from "./testdata/samples.ts";
import { codec, options, samples } from "./testdata/codec-test-module.ts";

const b = (s: string) => Buffer.from(s);

describe("RESP", () => {
  it("parses requests in place and needs more data on any prefix", () => {
    const p = new RequestParser();
    const req = SAMPLES[0]!.bytes;
    for (let cut = 1; cut < req.length; cut++) expect(p.parse(req, 0, cut)).toBe(NEED_MORE);
    expect(p.parse(req, 0, req.length)).toBe(req.length);
    expect(p.argc).toBe(2);
    expect(req.toString("utf8", p.argStart[1], p.argEnd[1])).toBe("foo");
    expect(p.parse(b("*1\r\n+x\r\n"), 0, 8)).toBe(MALFORMED);
  });

  it("finds where RESP2 and RESP3 replies end", () => {
    const all = SAMPLES[4]!.bytes;
    let off = 0;
    let n = 0;
    while (off < all.length) {
      const end = replyEnd(all, off, all.length);
      expect(end).toBeGreaterThan(off);
      off = end;
      n++;
    }
    expect(n).toBe(7);
  });

  it("computes slots with hash tags as Redis does", () => {
    expect(crc16(b("123456789"))).toBe(0x31c3);
    expect(slotOf("foo")).toBe(12182);
    expect(slotOf("{user1000}.following")).toBe(slotOf("{user1000}.followers"));
    expect(slotOf("foo{}{bar}")).toBe(slotOf("foo{}{bar}"));
    expect(slotOf("{}foo")).toBe(crc16(b("{}foo")) & 16383);
  });

  it("looks commands up from bytes in any case", () => {
    expect(lookupCommand(b("gEt"), 0, 3)?.name).toBe("get");
    expect(lookupCommand(b("MGET"), 0, 4)?.kind).toBe("split");
    expect(lookupCommand(b("nope"), 0, 4)).toBeUndefined();
    for (const name of knownCommands()) expect(lookupCommand(b(name.toUpperCase()), 0, name.length)?.name).toBe(name);
  });

  it("passes the codec kit's conformance suite as its codec-test module runs it (replies in order: no request-id property)", async () => {
    const report = await codecConformance(codec, samples, { ...options, throughputMs: 50 });
    expect(report.passed, formatConformanceReport(report)).toBe(true);
    expect(report.properties.map((p) => p.name)).not.toContain("request-id");
  }, 60_000);

  it("fails the request-id property when the suite is not told replies go by order", async () => {
    const report = await codecConformance(
      createRedisCodec,
      SAMPLES.map((s) => ({ ...s, mutation: "ignored" as const })),
      { throughputMs: 0 },
    );
    const failed = report.properties.filter((p) => !p.passed).map((p) => p.name);
    expect(failed, formatConformanceReport(report)).toEqual(["request-id"]);
  }, 60_000);
});
