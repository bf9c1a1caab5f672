/**
 * `npm run bench:fuzz`: every built-in codec (Thrift, Dubbo, RESP, Kafka requests and responses)
 * fed FUZZ_INPUTS random and mutated inputs (default 1,000,000 each, seed FUZZ_SEED), after
 * replaying the regression samples earlier runs saved. Prints inputs/s, outcomes, the slowest
 * decode call and the process's memory; any failing input is printed and saved as a regression
 * sample under proxy/protocols/<protocol>/testdata/fuzz-regressions/. Exits 1 on any failure.
 */
import { fuzz, replayRegressions } from "../../proxy/codec/fuzz.ts";
import { fuzzTargets } from "../../proxy/protocols/fuzz-targets.ts";

const inputs = Number(process.env.FUZZ_INPUTS ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
let failed = 0;
let peakRss = 0;
const mib = (n: number) => (n / 2 ** 20).toFixed(0);
process.stdout.write(`codec fuzz: ${inputs} inputs per codec, seed ${seed}\n`);
for (const target of fuzzTargets()) {
  const replayed = replayRegressions(target);
  for (const r of replayed) process.stdout.write(`  ${target.name}: regression ${r.file} fails again: ${r.reason}\n`);
  failed += replayed.length;
  const result = fuzz(target, { inputs, seed });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const rate = (result.inputs / result.durationMs) * 1000;
  process.stdout.write(
    `${target.name.padEnd(16)} ${String(result.inputs).padStart(8)} inputs ${rate.toFixed(0).padStart(7)} inputs/s ${(result.bytes / 2 ** 20).toFixed(0).padStart(4)} MiB  ` +
      `${result.messages} messages, ${result.errors} clean errors, slowest decode ${result.slowestDecodeMs.toFixed(1)} ms, ` +
      `${result.failures.length} failures, heap ${mib(process.memoryUsage().heapUsed)} MiB\n`,
  );
  for (const f of result.failures) process.stdout.write(`  FAIL ${f.reason}\n    saved as ${f.file}\n`);
  failed += result.failures.length;
}
process.stdout.write(`peak RSS ${mib(peakRss)} MiB; ${failed === 0 ? "0 crashes, 0 hangs" : `${failed} failing inputs`}\n`);
process.exitCode = failed === 0 ? 0 : 1;
