import { describe, expect, it } from "vitest";
import { attr, renderJUnit, text } from "./junit.ts";
import { runSummary } from "./test-summary.ts";

/** A small well-formedness check: every tag closes in order, attributes are quoted, no raw & or <. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = token.exec(body))) {
    consumed = token.lastIndex;
    const [, close, name, attrs, selfClose, textPart] = m;
    const content = textPart ?? attrs ?? "";
    expect(content.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, "")).not.toMatch(/[&<]/);
    if (textPart !== undefined) continue;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name!);
  }
  expect(consumed).toBe(body.length);
  expect(stack).toEqual([]);
}

describe("renderJUnit", () => {
  const xml = renderJUnit(runSummary());

  it("is well-formed (and the check catches broken XML)", () => {
    expect(() => assertWellFormed("<a><b></a>")).toThrow();
    expect(() => assertWellFormed("<a>&</a>")).toThrow();
    expect(() => assertWellFormed('<a x="<"/>')).toThrow();
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    assertWellFormed(xml);
  });

  it("has one testsuite per scenario and one testcase per expectation, step error or plain step", () => {
    expect(xml).toContain('<testsuites name="meshsim" tests="4" failures="1" errors="1" time="6.200">');
    expect(xml).toContain('<testsuite name="thrift-traffic-split" tests="4" failures="1" errors="1" skipped="0" time="6.200"');
    const names = [...xml.matchAll(/<testcase classname="thrift-traffic-split" name="([^"]*)"/g)].map((m) => m[1]);
    expect(names).toEqual(["split 20/80 › apply+waitFor", "drive › success rate", "drive › distribution by version", "cleanup › delete"]);
    expect(xml).toContain('<testcase classname="thrift-traffic-split" name="drive › success rate" time="4.100"/>');
  });

  it("escapes messages", () => {
    expect(xml).toContain('message="distribution by version: observed v1=600 (30%) v2=1400 (70%), expected v1=20% v2=80% — FAIL &lt;&amp;&gt; &quot;quoted&quot;"');
    expect(xml).toContain('<error message="timed out waiting for ACK &lt;proxy-1&gt;" type="StepError">timed out waiting for ACK &lt;proxy-1&gt;\nsecond line</error>');
    expect(attr(`a"b'c\n<d>&\u0001`)).toBe("a&quot;b&apos;c&#10;&lt;d&gt;&amp;\uFFFD");
    expect(text("]]> & <x>")).toBe("]]&gt; &amp; &lt;x&gt;");
  });

  it("reports a run that failed before any step, and several scenarios", () => {
    const setup = runSummary({ steps: [], error: "topology did not come up: port 9090 in use" });
    const both = renderJUnit([setup, runSummary({ scenario: { name: "other", file: "o.yaml", tags: [] } })]);
    assertWellFormed(both);
    expect(both.match(/<testsuite /g)).toHaveLength(2);
    expect(both).toContain('name="thrift-traffic-split › setup"');
    expect(both).toContain('<error message="topology did not come up: port 9090 in use" type="SetupError">');
  });
});
