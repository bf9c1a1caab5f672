/**
 * `meshsim codec-test <module>`: loads a codec module and runs the conformance suite on it.
 *
 * A codec module (TypeScript or JavaScript, loaded with import()) exports:
 *
 *   export const codec: CodecFactory;                       // or `export default` the factory
 *   export const samples: CodecSample[] | (() => CodecSample[] | Promise<CodecSample[]>);
 *   export const options?: ConformanceOptions;              // optional
 *
 * (the `CodecTestModule` shape). Prints the report and resolves to the exit code: 0 when every
 * property passed, 1 when one failed; a module that does not fit the shape throws InvalidModule.
 */
import { parseCommandArgs } from "../../common/command-args.ts";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkCodecModule, InvalidCodecModuleError, loadCodecModuleFile, type CodecTestModule, type LoadedCodecModule } from "./codec-module.ts";
import { codecConformance, formatConformanceReport, type CodecSample, type ConformanceReport } from "./conformance.ts";

export { InvalidCodecModuleError, type CodecTestModule } from "./codec-module.ts";

/** The built-in codecs' own codec-test modules, by protocol name (`meshsim codec-test thrift`). */
const BUILT_IN_MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  thrift: () => import("../protocols/thrift/testdata/codec-test-module.ts"),
  dubbo: () => import("../protocols/dubbo/testdata/codec-test-module.ts"),
  redis: () => import("../protocols/redis/testdata/codec-test-module.ts"),
  kafka: () => import("../protocols/kafka/testdata/codec-test-module.ts"),
};

/**
 * A built-in codec's module by name, else the module at `path` (relative to the working
 * directory), checked for the CodecTestModule shape.
 */
export async function loadCodecModule(path: string): Promise<LoadedCodecModule> {
  const builtIn = BUILT_IN_MODULES[path];
  if (builtIn === undefined) return loadCodecModuleFile(path);
  let mod: unknown;
  try {
    mod = await builtIn();
  } catch (error) {
    throw new InvalidCodecModuleError(`${path}: cannot be loaded: ${(error as Error)?.message ?? String(error)}`);
  }
  return checkCodecModule(mod as Partial<CodecTestModule>, path);
}

/** Every file in `dir` whose name passes `filter`, as samples named by file name (sorted). */
export function samplesFromFiles(dir: string, filter: (name: string) => boolean = () => true, extra?: (name: string) => Partial<CodecSample>): CodecSample[] {
  return readdirSync(dir)
    .filter(filter)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)), ...extra?.(name) }));
}

export interface CodecTestArgs {
  module: string;
  numRuns?: number;
  seed?: number;
  throughputMs?: number;
  json?: boolean;
}

export const CODEC_TEST_USAGE = "codec-test <module|thrift|dubbo|redis|kafka>  run the codec conformance suite (--runs N, --seed N, --throughput-ms N, --json)";

export function parseCodecTestArgs(args: string[]): CodecTestArgs {
  const { values, positionals } = parseCommandArgs("codec-test", args, {
    runs: { type: "string" },
    seed: { type: "string" },
    "throughput-ms": { type: "string" },
    json: { type: "boolean" },
  });
  const number = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidCodecModuleError(`codec-test: --${flag} needs a whole number`);
    return n;
  };
  if (positionals.length === 0) throw new InvalidCodecModuleError(`usage: meshsim ${CODEC_TEST_USAGE}`);
  if (positionals.length > 1) throw new InvalidCodecModuleError(`codec-test: one module at a time (got ${positionals.join(" and ")})`);
  const numRuns = number("runs", values.runs);
  const seed = number("seed", values.seed);
  const throughputMs = number("throughput-ms", values["throughput-ms"]);
  return {
    module: positionals[0]!,
    ...(numRuns !== undefined && { numRuns }),
    ...(seed !== undefined && { seed }),
    ...(throughputMs !== undefined && { throughputMs }),
    ...(values.json === true && { json: true }),
  };
}

/** Runs the suite for a module; the module's own options are overridden by explicit arguments. */
export async function runCodecTest(args: CodecTestArgs): Promise<ConformanceReport> {
  const { factory, samples, options } = await loadCodecModule(args.module);
  return codecConformance(factory, samples, {
    ...options,
    ...(args.numRuns !== undefined && { numRuns: args.numRuns }),
    ...(args.seed !== undefined && { seed: args.seed }),
    ...(args.throughputMs !== undefined && { throughputMs: args.throughputMs }),
  });
}

/** The CLI's `codec-test` command: prints the report, returns the exit code (2 for a bad module). */
export async function codecTestCommand(argv: string[]): Promise<number> {
  try {
    const args = parseCodecTestArgs(argv);
    const report = await runCodecTest(args);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatConformanceReport(report));
    return report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof InvalidCodecModuleError) {
      process.stderr.write(`meshsim: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
