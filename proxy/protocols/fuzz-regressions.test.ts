/**
 * Inputs the codec fuzzer (npm run bench:fuzz) once found failing stay fixed; and the fuzzer
 * itself finds a codec that throws, hangs or loops, and saves the input.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Codec, CodecFactory, DecodeResult } from "../codec/codec.ts";
import { fuzz, replayRegressions } from "../codec/fuzz.ts";
import { createRedisCodec } from "./redis/index.ts";
import { fuzzTargets } from "./fuzz-targets.ts";

describe("codec fuzzing", () => {
  it.each(fuzzTargets().map((t) => [t.name, t] as const))("%s: saved regression samples decode cleanly, and a short run finds nothing", (_name, target) => {
    expect(target.seeds.length).toBeGreaterThan(2);
    expect(replayRegressions(target)).toEqual([]);
    const result = fuzz({ ...target, regressionDir: mkdtempSync(join(tmpdir(), "meshsim-fuzz-")) }, { inputs: 3000, seed: 7 });
    expect(result.failures.map((f) => f.reason)).toEqual([]);
    expect(result.messages + result.errors).toBeGreaterThan(0);
  });

  it("catches a decoder that throws on some byte, and saves the input for replay", () => {
    const real = createRedisCodec;
    const broken: CodecFactory = (o) => {
      const codec = real(o);
      return Object.assign(Object.create(Object.getPrototypeOf(codec) as object) as Codec, codec, {
        decode(b: Buffer, offset: number): DecodeResult {
          if (b.indexOf(0x42, offset) !== -1) throw new RangeError("bad byte");
          return codec.decode(b, offset);
        },
      });
    };
    const dir = mkdtempSync(join(tmpdir(), "meshsim-fuzz-"));
    const target = { name: "broken", factory: broken, seeds: [Buffer.from("*1\r\n$4\r\nPING\r\n")], regressionDir: dir };
    const result = fuzz(target, { inputs: 2000, seed: 1, maxFailures: 3 });
    expect(result.failures.length).toBe(3);
    expect(result.failures[0]!.reason).toMatch(/^decode threw: RangeError: bad byte/);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    expect(replayRegressions(target).length).toBe(readdirSync(dir).length);
  });
});
