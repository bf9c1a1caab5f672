/**
 * Thrift codec decode/encode throughput over the captured testdata, per transport x protocol,
 * in messages/s, with CPU time and peak RSS. Not a test: numbers vary with the machine.
 *
 *   npm run bench:codecs                 (BENCH_MS=2000 for longer runs)
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureThroughput } from "../../proxy/codec/conformance.ts";
import { samplesFromFiles } from "../../proxy/codec/codec-test.ts";
import { createThriftCodec } from "../../proxy/protocols/thrift/index.ts";
import { samples as allSamples } from "../../proxy/protocols/thrift/testdata/codec-test-module.ts";

const ms = Number(process.env.BENCH_MS ?? 1000);
const testdata = join(dirname(fileURLToPath(import.meta.url)), "../../proxy/protocols/thrift/testdata");
const groups: Record<string, (name: string) => boolean> = {
  "framed binary": (n) => n.startsWith("framed-binary-"),
  "framed compact": (n) => n.startsWith("framed-compact-"),
  "unframed binary": (n) => n.startsWith("unframed-binary-"),
  "unframed compact": (n) => n.startsWith("unframed-compact-"),
  "lax binary": (n) => n.includes("-laxbinary-"),
};
const fmt = (n: number) => `${(n / 1e3).toFixed(0)}k`.padStart(8);
const cpu0 = process.cpuUsage();
process.stdout.write(`thrift codec, ${ms} ms per figure (messages/s)\n${"group".padEnd(18)}  decode    encode(id)  MB/s decoded\n`);
const rows: Array<[string, ReturnType<typeof measureThroughput>]> = [];
for (const [name, filter] of Object.entries(groups))
  rows.push([
    name,
    measureThroughput(
      createThriftCodec,
      samplesFromFiles(testdata, (f) => filter(f) && /\.(request|response)$/.test(f)),
      ms,
    ),
  ]);
rows.push([
  "THeader",
  measureThroughput(
    createThriftCodec,
    allSamples().filter((s) => s.name.startsWith("header-")),
    ms,
  ),
]);
for (const [name, t] of rows) process.stdout.write(`${name.padEnd(18)}${fmt(t.decodePerSecond)}  ${fmt(t.encodePerSecond)}    ${(t.decodeBytesPerSecond / 1e6).toFixed(1)}\n`);
const cpu = process.cpuUsage(cpu0);
const base = rows[0]![1].decodePerSecond;
process.stdout.write(`decode ratio vs framed binary: ${rows.map(([n, t]) => `${n} ${(t.decodePerSecond / base).toFixed(2)}`).join(", ")}\n`);
process.stdout.write(`cpu ${((cpu.user + cpu.system) / 1e3).toFixed(0)} ms, peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
