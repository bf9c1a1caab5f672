/**
 * A codec fuzzer: random bytes and mutated samples (bytes flipped, cut, spliced, length fields
 * pushed to extremes), each fed to a fresh decoder in random chunks. A decode call that throws,
 * consumes nothing or more than it was given, or takes longer than `slowMs` is a failure; each
 * failing input is saved as a regression sample (`<dir>/<target>-<sha1>.bin`) so the codec's
 * tests replay it from then on (`replayRegressions`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CodecFactory, DecodeResult } from "./codec.ts";

export interface FuzzTarget {
  name: string;
  factory: CodecFactory;
  seeds: Buffer[];
  /** Where failing inputs go, and come back from. */
  regressionDir: string;
}

export interface FuzzFailure {
  input: Buffer;
  reason: string;
  file: string;
}

export interface FuzzResult {
  target: string;
  inputs: number;
  bytes: number;
  durationMs: number;
  failures: FuzzFailure[];
  /** Outcomes over all inputs: decoded messages, need-more-data at the end, clean codec errors. */
  messages: number;
  errors: number;
  slowestDecodeMs: number;
}

/** Feeds `chunks` to `decoder` as a connection would; returns the reason it failed, if it did. */
export function feedOnce(factory: CodecFactory, chunks: Buffer[], slowMs: number, outcome = { messages: 0, errors: 0, slowestMs: 0 }): string | undefined {
  const codec = factory();
  let leftover = Buffer.alloc(0);
  for (const chunk of chunks) {
    const input = leftover.length === 0 ? chunk : Buffer.concat([leftover, chunk]);
    let offset = 0;
    while (offset < input.length) {
      const started = performance.now();
      let result: DecodeResult;
      try {
        result = codec.decode(input, offset);
      } catch (error) {
        return `decode threw: ${(error as Error)?.stack?.split("\n").slice(0, 3).join(" | ") ?? String(error)}`;
      }
      const took = performance.now() - started;
      if (took > outcome.slowestMs) outcome.slowestMs = took;
      if (took > slowMs) return `one decode call took ${took.toFixed(0)} ms on ${input.length - offset} bytes`;
      if (result.status === "error") {
        outcome.errors++;
        return undefined;
      }
      if (result.status === "need_more_data") break;
      if (!(result.consumed > 0) || offset + result.consumed > input.length) return `decode consumed ${result.consumed} of ${input.length - offset} bytes`;
      outcome.messages++;
      offset += result.consumed;
    }
    leftover = Buffer.from(input.subarray(offset));
  }
  return undefined;
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTREMES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

/** One input: random bytes, or a seed changed in one of several ways. */
export function nextInput(random: () => number, seeds: readonly Buffer[]): Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const pick = () => seeds[int(seeds.length)]!;
  const how = seeds.length === 0 ? 0 : int(7);
  switch (how) {
    case 0: {
      const out = Buffer.allocUnsafe(int(512));
      for (let i = 0; i < out.length; i++) out[i] = int(256);
      return out;
    }
    case 1: {
      const out = Buffer.from(pick());
      for (let k = 1 + int(8); k > 0 && out.length > 0; k--) out[int(out.length)] = int(256);
      return out;
    }
    case 2: {
      // A run of 4 extreme bytes: length and count fields at their limits.
      const out = Buffer.from(pick());
      const v = EXTREMES[int(EXTREMES.length)]!;
      const at = out.length > 0 ? int(out.length) : 0;
      for (let i = at; i < Math.min(out.length, at + 4); i++) out[i] = v;
      return out;
    }
    case 3: {
      const s = pick();
      return Buffer.from(s.subarray(0, int(s.length + 1)));
    }
    case 4: {
      const a = pick();
      const b = pick();
      return Buffer.concat([a.subarray(0, int(a.length + 1)), b.subarray(int(b.length + 1))]);
    }
    case 5: {
      const s = pick();
      const at = int(s.length + 1);
      const insert = Buffer.allocUnsafe(1 + int(16));
      for (let i = 0; i < insert.length; i++) insert[i] = int(256);
      return Buffer.concat([s.subarray(0, at), insert, s.subarray(at)]);
    }
    default: {
      const s = pick();
      const at = int(s.length + 1);
      return Buffer.concat([s.subarray(0, at), s.subarray(Math.min(s.length, at + 1 + int(16)))]);
    }
  }
}

function chunked(random: () => number, input: Buffer): Buffer[] {
  const pieces = 1 + Math.floor(random() * 4);
  if (pieces === 1 || input.length < 2) return [input];
  const cuts = Array.from({ length: pieces - 1 }, () => Math.floor(random() * input.length)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    out.push(input.subarray(from, c));
    from = c;
  }
  out.push(input.subarray(from));
  return out.filter((b) => b.length > 0);
}

export function fuzz(target: FuzzTarget, options: { inputs: number; seed: number; slowMs?: number; maxFailures?: number }): FuzzResult {
  const random = prng(options.seed);
  // Far above any real decode call (well under 1 ms), so GC pauses on a busy machine are no "hang".
  const slowMs = options.slowMs ?? 1000;
  const outcome = { messages: 0, errors: 0, slowestMs: 0 };
  const failures: FuzzFailure[] = [];
  let bytes = 0;
  const started = performance.now();
  let i = 0;
  for (; i < options.inputs && failures.length < (options.maxFailures ?? 20); i++) {
    const input = nextInput(random, target.seeds);
    bytes += input.length;
    const reason = feedOnce(target.factory, chunked(random, input), slowMs, outcome);
    if (reason !== undefined) failures.push({ input, reason, file: saveRegression(target, input) });
  }
  return { target: target.name, inputs: i, bytes, durationMs: performance.now() - started, failures, messages: outcome.messages, errors: outcome.errors, slowestDecodeMs: outcome.slowestMs };
}

function saveRegression(target: FuzzTarget, input: Buffer): string {
  mkdirSync(target.regressionDir, { recursive: true });
  const file = join(target.regressionDir, `${target.name}-${createHash("sha1").update(input).digest("hex").slice(0, 12)}.bin`);
  writeFileSync(file, input);
  return file;
}

/** Feeds every saved regression sample of `target` whole and byte by byte; the failures, by file. */
export function replayRegressions(target: FuzzTarget, slowMs = 1000): Array<{ file: string; reason: string }> {
  if (!existsSync(target.regressionDir)) return [];
  const out: Array<{ file: string; reason: string }> = [];
  for (const name of readdirSync(target.regressionDir)
    .filter((n) => n.startsWith(`${target.name}-`) && n.endsWith(".bin"))
    .sort()) {
    const input = readFileSync(join(target.regressionDir, name));
    const bytes = [...input].map((b) => Buffer.from([b]));
    const reason = feedOnce(target.factory, [input], slowMs) ?? feedOnce(target.factory, bytes, slowMs);
    if (reason !== undefined) out.push({ file: name, reason });
  }
  return out;
}
