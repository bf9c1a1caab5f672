/**
 * The codec conformance suite: the checks every codec must pass, run from sample byte streams.
 * Used from vitest (`codecConformance(...)`) and from the command line (`meshsim codec-test`).
 * Each check is a named property with a case count; the property-based ones use fast-check with
 * a fixed seed so a failure reproduces. See proxy/codec/README.md for what each one means.
 */
import fc from "fast-check";
import type { Codec, CodecFactory, DecodeResult, LocalErrorKind, Message, Mutation } from "./codec.ts";

export interface CodecSample {
  /** Shown in failures, e.g. `framed-binary-sayHello.request`. */
  name: string;
  /**
   * One connection's bytes in one direction: one or more complete messages. Samples are
   * never mixed into one connection (a codec may lock onto what it detects first).
   */
  bytes: Buffer;
  /**
   * What a mutation does to this sample's messages: "applied" (visible as metadata after
   * re-decoding; the default) or "ignored" (bytes unchanged; the transport has no headers).
   */
  mutation?: "applied" | "ignored";
}

export interface ConformanceOptions {
  /** Runs per fast-check property (default 200). */
  numRuns?: number;
  /** fast-check seed (default 42) so failures reproduce. */
  seed?: number;
  /** The mutation to apply (default: two `x-conformance-*` keys). */
  mutation?: Mutation;
  /** Error kinds to build local replies for (default: all). */
  localErrorKinds?: LocalErrorKind[];
  /**
   * Decodes a local reply the way the protocol's real client does; throw if it cannot. Called
   * once per request sample and error kind.
   */
  realClient?: (reply: Buffer, request: Message, sample: CodecSample) => void | Promise<void>;
  /** Time spent measuring throughput, per direction (default 300 ms; 0 skips it). */
  throughputMs?: number;
  /** A single decode call slower than this is a failure (default 250 ms). */
  slowDecodeMs?: number;
  /** Frame limit used by the bounded-memory property (default 4096). */
  boundedFrameSize?: number;
  /**
   * The protocol matches replies to requests by their order on the connection (RESP): its frames
   * carry no request id, so the request-id property does not apply and is left out.
   */
  repliesInOrder?: boolean;
}

export interface PropertyResult {
  name: string;
  description: string;
  cases: number;
  passed: boolean;
  /** The first few failures, each naming the sample and what went wrong. */
  failures: string[];
  durationMs: number;
}

export interface Throughput {
  /** Messages decoded per second (whole samples through a fresh codec each pass). */
  decodePerSecond: number;
  /** Messages encoded per second with a changed request id (what multiplexing does). */
  encodePerSecond: number;
  /** Bytes decoded per second. */
  decodeBytesPerSecond: number;
}

export interface ConformanceReport {
  protocol: string;
  samples: number;
  messages: number;
  passed: boolean;
  properties: PropertyResult[];
  throughput?: Throughput | undefined;
  durationMs: number;
}

const ALL_ERROR_KINDS: LocalErrorKind[] = ["no_route", "no_cluster", "no_healthy_endpoint", "upstream_failure", "timeout", "rate_limited", "fault_abort", "overflow"];
const DEFAULT_MUTATION: Mutation = [
  { key: "x-conformance-route", value: "canary" },
  { key: "x-conformance-ü", value: "välue" },
];
const MAX_FAILURES = 5;

class Failure extends Error {}

/** A decoded message reduced to what must survive any chunking or re-encoding. */
interface Shape {
  kind: string;
  requestId: number;
  metadata: Array<[string, string]>;
  frame: Buffer;
}

const shape = (m: Message): Shape => ({ kind: m.kind, requestId: m.requestId, metadata: [...m.metadata].sort(), frame: Buffer.from(m.frame) });

function sameShapes(a: Shape[], b: Shape[]): string | undefined {
  if (a.length !== b.length) return `${b.length} messages instead of ${a.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind !== y.kind || x.requestId !== y.requestId) return `message ${i}: ${y.kind}/${y.requestId} instead of ${x.kind}/${x.requestId}`;
    if (JSON.stringify(x.metadata) !== JSON.stringify(y.metadata)) return `message ${i}: metadata ${JSON.stringify(y.metadata)} instead of ${JSON.stringify(x.metadata)}`;
    if (!x.frame.equals(y.frame)) return `message ${i}: frame bytes differ`;
  }
  return undefined;
}

interface Fed {
  messages: Message[];
  error?: string;
  /** Largest number of unconsumed bytes held while the codec asked for more. */
  maxBuffered: number;
}

/**
 * Feeds `chunks` to one codec the way the connection manager does (leftover + chunk), checking
 * the decode contract on every call: consumed within the input, never a throw.
 */
function feed(codec: Codec, chunks: Buffer[], slowMs: number, stopBufferingAt = Infinity): Fed {
  const messages: Message[] = [];
  let leftover: Buffer = Buffer.alloc(0);
  let maxBuffered = 0;
  for (const chunk of chunks) {
    const input = leftover.length === 0 ? chunk : Buffer.concat([leftover, chunk]);
    let offset = 0;
    for (;;) {
      if (offset >= input.length) break;
      const started = performance.now();
      let result: DecodeResult;
      try {
        result = codec.decode(input, offset);
      } catch (error) {
        throw new Failure(`decode threw ${(error as Error)?.stack ?? String(error)}`);
      }
      const took = performance.now() - started;
      if (took > slowMs) throw new Failure(`one decode call took ${took.toFixed(0)} ms on ${input.length - offset} bytes`);
      if (result.status === "error") return { messages, error: `${result.error.code}: ${result.error.message}`, maxBuffered };
      if (result.status === "need_more_data") break;
      if (!(result.consumed > 0) || offset + result.consumed > input.length) throw new Failure(`decode consumed ${result.consumed} of ${input.length - offset} bytes`);
      if (result.message.frame.length === 0) throw new Failure("decoded a message with an empty frame");
      messages.push(result.message);
      offset += result.consumed;
    }
    leftover = Buffer.from(input.subarray(offset));
    maxBuffered = Math.max(maxBuffered, leftover.length);
    if (leftover.length > stopBufferingAt) return { messages, maxBuffered };
  }
  return { messages, maxBuffered };
}

function decodeWhole(factory: CodecFactory, bytes: Buffer, slowMs: number): Message[] {
  const fed = feed(factory(), [Buffer.from(bytes)], slowMs);
  if (fed.error !== undefined) throw new Failure(`decode error ${fed.error}`);
  return fed.messages;
}

function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p > last) out.push(Buffer.from(bytes.subarray(last, p)));
    last = Math.max(last, p);
  }
  if (last < bytes.length) out.push(Buffer.from(bytes.subarray(last)));
  return out;
}

function counterOf(codec: Codec, name: string): number | undefined {
  const counters = (codec as { counters?: Readonly<Record<string, number>> }).counters;
  return typeof counters?.[name] === "number" ? counters[name] : undefined;
}

/** Runs the conformance suite. Resolves with a report; never rejects for a failing codec. */
export async function codecConformance(factory: CodecFactory, samples: CodecSample[], options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const started = performance.now();
  const numRuns = options.numRuns ?? 200;
  const seed = options.seed ?? 42;
  const slowMs = options.slowDecodeMs ?? 250;
  const mutation = options.mutation ?? DEFAULT_MUTATION;
  const bounded = options.boundedFrameSize ?? 4096;
  const properties: PropertyResult[] = [];
  const protocol = factory().protocol;

  async function property(name: string, description: string, body: (fail: (why: string) => void) => number | Promise<number>): Promise<void> {
    const t0 = performance.now();
    const failures: string[] = [];
    let cases = 0;
    try {
      cases = await body((why) => {
        if (failures.length < MAX_FAILURES) failures.push(why);
      });
    } catch (error) {
      failures.push(error instanceof Failure ? error.message : `threw: ${(error as Error)?.stack ?? String(error)}`);
    }
    properties.push({ name, description, cases, passed: failures.length === 0, failures, durationMs: performance.now() - t0 });
  }

  /** Runs `check` per sample, turning a Failure into a failure line naming the sample. */
  const perSample = (check: (s: CodecSample, fail: (why: string) => void) => number | Promise<number>) => async (fail: (why: string) => void) => {
    let cases = 0;
    for (const s of samples) {
      try {
        cases += await check(s, (why) => fail(`${s.name}: ${why}`));
      } catch (error) {
        fail(`${s.name}: ${error instanceof Failure ? error.message : ((error as Error)?.stack ?? String(error))}`);
      }
    }
    return cases;
  };

  const decoded = new Map<CodecSample, Shape[]>();
  let messageCount = 0;
  await property(
    "decodes-samples",
    "every sample decodes into complete messages, consuming all its bytes",
    perSample((s) => {
      const messages = decodeWhole(factory, s.bytes, slowMs);
      const total = messages.reduce((n, m) => n + m.frame.length, 0);
      if (messages.length === 0) throw new Failure("no message decoded");
      if (total !== s.bytes.length) throw new Failure(`frames cover ${total} of ${s.bytes.length} bytes`);
      decoded.set(s, messages.map(shape));
      messageCount += messages.length;
      return 1;
    }),
  );
  const usable = samples.filter((s) => decoded.has(s));

  await property("split-points", "fed in two parts split at every byte, the same messages result; a prefix is never an error", async (fail) => {
    let cases = 0;
    for (const s of usable) {
      for (let cut = 1; cut < s.bytes.length; cut++) {
        cases++;
        const fed = feed(factory(), [Buffer.from(s.bytes.subarray(0, cut)), Buffer.from(s.bytes.subarray(cut))], slowMs);
        const why = fed.error ?? sameShapes(decoded.get(s)!, fed.messages.map(shape));
        if (why !== undefined) fail(`${s.name} split at ${cut}: ${why}`);
      }
    }
    return cases;
  });

  await property("pipelined-chunks", "a sample repeated 1-8 times in one stream, cut into random chunks, decodes to the same messages", async (fail) => {
    if (usable.length === 0) return 0;
    const result = fc.check(
      fc.property(fc.nat(usable.length - 1), fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (i, repeat, cuts) => {
        const s = usable[i]!;
        const stream = Buffer.concat(Array.from({ length: repeat }, () => s.bytes));
        const fed = feed(factory(), chunk(stream, cuts), slowMs);
        const expected = Array.from({ length: repeat }, () => decoded.get(s)!).flat();
        const why = fed.error ?? sameShapes(expected, fed.messages.map(shape));
        if (why !== undefined) throw new Failure(`${s.name} x${repeat} cut at [${cuts.join(",")}]: ${why}`);
      }),
      { numRuns, seed },
    );
    if (result.failed) fail(failureText(result));
    return result.numRuns;
  });

  await property(
    "round-trip",
    "encode(decode(x)) with no mutation and with an empty one returns x's bytes",
    perSample((s) => {
      const codec = factory();
      const messages = feed(codec, [Buffer.from(s.bytes)], slowMs).messages;
      const none = Buffer.concat(messages.map((m) => codec.encode(m)));
      const empty = Buffer.concat(messages.map((m) => codec.encode(m, [])));
      if (!none.equals(s.bytes)) throw new Failure("encode(m) changed the bytes");
      if (!empty.equals(s.bytes)) throw new Failure("encode(m, []) changed the bytes");
      return messages.length;
    }),
  );

  if (!options.repliesInOrder)
    await property("request-id", "a rewritten request id survives re-decoding with the rest unchanged, and restoring it restores the bytes", async (fail) => {
      if (usable.length === 0) return 0;
      const result = fc.check(
        fc.property(fc.nat(usable.length - 1), fc.integer({ min: 0, max: 0x7fffffff }), (i, id) => {
          const s = usable[i]!;
          const codec = factory();
          for (const m of feed(codec, [Buffer.from(s.bytes)], slowMs).messages) {
            const original = shape(m);
            m.requestId = id;
            const rewritten = decodeWhole(factory, Buffer.from(codec.encode(m)), slowMs);
            if (rewritten.length !== 1 || rewritten[0]!.requestId !== id) throw new Failure(`${s.name}: id ${id} did not survive (got ${rewritten[0]?.requestId})`);
            const r = shape(rewritten[0]!);
            if (r.kind !== original.kind || JSON.stringify(r.metadata) !== JSON.stringify(original.metadata)) throw new Failure(`${s.name}: rewriting the id to ${id} changed kind or metadata`);
            m.requestId = original.requestId;
            if (!codec.encode(m).equals(original.frame)) throw new Failure(`${s.name}: restoring id ${original.requestId} after ${id} did not restore the bytes`);
          }
        }),
        { numRuns, seed },
      );
      if (result.failed) fail(failureText(result));
      return result.numRuns;
    });

  await property(
    "mutation",
    "a mutation is visible as metadata after re-decoding (or, where the sample says so, ignored, counted and the bytes unchanged)",
    perSample((s) => {
      const codec = factory();
      const messages = feed(codec, [Buffer.from(s.bytes)], slowMs).messages;
      for (const m of messages) {
        const before = counterOf(codec, "mutationsIgnored");
        const out = Buffer.from(codec.encode(m, mutation));
        const again = decodeWhole(factory, out, slowMs);
        if (again.length !== 1) throw new Failure(`mutated frame decodes into ${again.length} messages`);
        const md = again[0]!.metadata;
        if ((s.mutation ?? "applied") === "applied") {
          for (const { key, value } of mutation) if (md.get(key) !== value) throw new Failure(`mutation ${key}=${value} not visible after re-decode (got ${md.get(key)})`);
          if (again[0]!.requestId !== m.requestId || again[0]!.kind !== m.kind) throw new Failure("mutation changed the request id or kind");
        } else {
          if (!out.equals(shape(m).frame)) throw new Failure("an ignored mutation changed the bytes");
          const after = counterOf(codec, "mutationsIgnored");
          if (before !== undefined && after !== before + 1) throw new Failure(`mutationsIgnored went from ${before} to ${after}, expected +1`);
        }
      }
      return messages.length;
    }),
  );

  await property(
    "local-reply",
    `for every request and error kind, the local reply decodes as one error/response message with the request's id${options.realClient ? " and the real client understands it" : ""}`,
    perSample(async (s, fail) => {
      const codec = factory();
      let cases = 0;
      for (const m of feed(codec, [Buffer.from(s.bytes)], slowMs).messages) {
        if (m.kind !== "request") continue;
        for (const kind of options.localErrorKinds ?? ALL_ERROR_KINDS) {
          cases++;
          const reply = codec.localReply(m, { kind, message: `conformance ${kind}` });
          const fed = feed(factory(), [Buffer.from(reply)], slowMs);
          if (fed.error !== undefined) {
            fail(`${kind}: reply does not decode: ${fed.error}`);
            continue;
          }
          const r = fed.messages;
          if (r.length !== 1 || r[0]!.frame.length !== reply.length) fail(`${kind}: reply decodes into ${r.length} messages`);
          else if (r[0]!.requestId !== m.requestId) fail(`${kind}: reply id ${r[0]!.requestId}, request id ${m.requestId}`);
          else if (r[0]!.kind !== "error" && r[0]!.kind !== "response") fail(`${kind}: reply is a ${r[0]!.kind}`);
          if (options.realClient) {
            try {
              await options.realClient(reply, m, s);
            } catch (error) {
              fail(`${kind}: the real client rejects the reply: ${(error as Error)?.message ?? String(error)}`);
            }
          }
        }
      }
      return cases;
    }),
  );

  await property("random-input", "random bytes, and samples with random bytes changed, never throw, never hang, and end in messages, need-more-data or a clean error", async (fail) => {
    const seedsAndNoise = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      usable.length === 0
        ? fc.constant(Buffer.alloc(0))
        : fc.tuple(fc.nat(usable.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })).map(([i, edits]) => {
            const b = Buffer.from(usable[i]!.bytes);
            for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
            return b;
          }),
    );
    const result = fc.check(
      fc.property(seedsAndNoise, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        feed(factory(), chunk(bytes, cuts), slowMs);
      }),
      { numRuns, seed },
    );
    if (result.failed) fail(failureText(result));
    return result.numRuns;
  });

  await property("truncated", "every sample cut short at a random point, then closed, is need-more-data or a clean error (never a throw)", async (fail) => {
    if (usable.length === 0) return 0;
    const result = fc.check(
      fc.property(fc.nat(usable.length - 1), fc.nat(), (i, at) => {
        const s = usable[i]!;
        const cut = at % s.bytes.length;
        const fed = feed(factory(), [Buffer.from(s.bytes.subarray(0, cut))], slowMs);
        if (fed.error !== undefined) throw new Failure(`${s.name} cut at ${cut}: a prefix of valid input is an error: ${fed.error}`);
      }),
      { numRuns, seed },
    );
    if (result.failed) fail(failureText(result));
    return result.numRuns;
  });

  await property("bounded-memory", `with maxFrameSize ${bounded}, a stream of random bytes is never buffered past the limit waiting for more`, async (fail) => {
    const slack = 64;
    const result = fc.check(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 4096 }), (head, chunkSize) => {
        const codec = factory({ maxFrameSize: bounded });
        const total = bounded * 3;
        const stream = Buffer.alloc(total, 0x41);
        Buffer.from(head).copy(stream);
        const chunks: Buffer[] = [];
        for (let at = 0; at < total; at += chunkSize) chunks.push(stream.subarray(at, Math.min(total, at + chunkSize)));
        const fed = feed(codec, chunks, slowMs, bounded + slack);
        if (fed.error === undefined && fed.maxBuffered > bounded + slack)
          throw new Failure(`buffered ${fed.maxBuffered} bytes (limit ${bounded}) after a ${head.length}-byte head ${Buffer.from(head).toString("hex")}`);
      }),
      { numRuns: Math.min(numRuns, 100), seed },
    );
    if (result.failed) fail(failureText(result));
    return result.numRuns;
  });

  await property(
    "max-frame-size",
    "a frame larger than maxFrameSize is refused with CodecError(too_large), not decoded",
    perSample((s) => {
      const largest = Math.max(...decoded.get(s)!.map((m) => m.frame.length));
      const limit = Math.floor(largest / 2);
      if (limit < 1) return 0;
      const fed = feed(factory({ maxFrameSize: limit }), [Buffer.from(s.bytes)], slowMs);
      if (fed.error === undefined)
        throw new Failure(`maxFrameSize ${limit}: a ${largest}-byte frame was ${fed.messages.some((m) => m.frame.length === largest) ? "decoded" : "waited for"} instead of refused`);
      if (!fed.error.startsWith("too_large")) throw new Failure(`maxFrameSize ${limit}: refused as ${fed.error}, expected too_large`);
      return 1;
    }),
  );

  const throughputMs = options.throughputMs ?? 300;
  const throughput = throughputMs > 0 && usable.length > 0 ? measureThroughput(factory, usable, throughputMs) : undefined;
  return {
    protocol,
    samples: samples.length,
    messages: messageCount,
    passed: properties.every((p) => p.passed),
    properties,
    throughput,
    durationMs: performance.now() - started,
  };
}

function failureText<T>(result: fc.RunDetails<T>): string {
  const inner = result.errorInstance;
  const why = inner instanceof Error ? inner.message : String(inner);
  return `${why} (fast-check seed ${result.seed}, path "${result.counterexamplePath}", shrunk ${result.numShrinks} times)`;
}

/** Messages per second decoded (fresh codec per sample pass) and encoded with a new id. */
export function measureThroughput(factory: CodecFactory, samples: CodecSample[], durationMs: number): Throughput {
  const inputs = samples.map((s) => Buffer.from(s.bytes));
  let decodedMessages = 0;
  let decodedBytes = 0;
  let t0 = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (const input of inputs) {
      const codec = factory();
      let offset = 0;
      while (offset < input.length) {
        const r = codec.decode(input, offset);
        if (r.status !== "message") break;
        offset += r.consumed;
        decodedMessages++;
      }
      decodedBytes += offset;
    }
    elapsed = performance.now() - t0;
  }
  const decodePerSecond = (decodedMessages / elapsed) * 1000;
  const decodeBytesPerSecond = (decodedBytes / elapsed) * 1000;
  const pool: Array<{ codec: Codec; message: Message }> = [];
  for (const input of inputs) {
    const codec = factory();
    let offset = 0;
    while (offset < input.length) {
      const r = codec.decode(input, offset);
      if (r.status !== "message") break;
      offset += r.consumed;
      pool.push({ codec, message: r.message });
    }
  }
  let encoded = 0;
  let id = 1;
  t0 = performance.now();
  elapsed = 0;
  while (elapsed < durationMs && pool.length > 0) {
    for (const { codec, message } of pool) {
      message.requestId = id = (id + 1) & 0x3fffffff;
      codec.encode(message);
      encoded++;
    }
    elapsed = performance.now() - t0;
  }
  return { decodePerSecond, encodePerSecond: elapsed > 0 ? (encoded / elapsed) * 1000 : 0, decodeBytesPerSecond };
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

/** The report as the CLI prints it. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`codec conformance: ${report.protocol} — ${report.samples} samples, ${report.messages} messages`];
  const width = Math.max(...report.properties.map((p) => p.name.length));
  for (const p of report.properties) {
    lines.push(`  ${p.passed ? "✓" : "✗"} ${p.name.padEnd(width)}  ${String(p.cases).padStart(6)} cases  ${p.durationMs.toFixed(0).padStart(5)} ms  ${p.description}`);
    for (const f of p.failures) lines.push(`      ${f}`);
  }
  if (report.throughput) {
    const t = report.throughput;
    lines.push(`  throughput: decode ${fmt(t.decodePerSecond)} msg/s (${fmt(t.decodeBytesPerSecond)}B/s), encode with id rewrite ${fmt(t.encodePerSecond)} msg/s`);
  }
  const failed = report.properties.filter((p) => !p.passed).length;
  lines.push(`${failed === 0 ? "PASS" : "FAIL"}: ${report.properties.length - failed}/${report.properties.length} properties passed in ${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join("\n")}\n`;
}
