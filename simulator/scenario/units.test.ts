import { describe, expect, it } from "vitest";
import { formatMs, parseDuration, parseRate } from "./units.ts";

describe("durations and rates", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["250us", 0.25],
    ["1h", 3_600_000],
  ])("%s = %f ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it("rejects durations without units or with unknown ones", () => {
    expect(() => parseDuration("10")).toThrow(/add a unit: "10s"/);
    expect(() => parseDuration("10 sec")).toThrow(/expected a duration/);
    expect(() => parseDuration("")).toThrow(/empty/);
    expect(() => parseDuration("s10")).toThrow(/got "s10"/);
  });

  it("parses rates to requests per second", () => {
    expect(parseRate("500/s")).toBe(500);
    expect(parseRate("30000/m")).toBe(500);
    expect(parseRate("3600/h")).toBe(1);
    expect(parseRate(250)).toBe(250);
    expect(() => parseRate("500/sec")).toThrow(/expected a rate like "500\/s"/);
    expect(() => parseRate(0)).toThrow(/positive/);
  });

  it("formats milliseconds briefly", () => {
    expect(formatMs(0.25)).toBe("0.25ms");
    expect(formatMs(12.34)).toBe("12.3ms");
    expect(formatMs(1500)).toBe("1.50s");
    expect(formatMs(20)).toBe("20ms");
    expect(formatMs(2000)).toBe("2s");
    expect(formatMs(125_000)).toBe("2m05s");
  });
});
