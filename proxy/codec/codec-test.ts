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
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CodecFactory } from "./codec.ts";
import { codecConformance, formatConformanceReport, type CodecSample, type ConformanceOptions, type ConformanceReport } from "./conformance.ts";

export interface CodecTestModule {
  codec?: CodecFactory;
  default?: CodecFactory;
  samples: CodecSample[] | (() => CodecSample[] | Promise<CodecSample[]>);
  options?: ConformanceOptions;
}

export class InvalidCodecModuleError extends Error {
  readonly code = "INVALID_CODEC_MODULE";
  constructor(message: string) {
    super(message);
    this.name = "InvalidCodecModuleError";
  }
}

/** The built-in codecs' own codec-test modules, by protocol name (`meshsim codec-test thrift`). */
const BUILT_IN_MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  thrift: () => import("../protocols/thrift/testdata/codec-test-module.ts"),
  dubbo: () => import("../protocols/dubbo/testdata/codec-test-module.ts"),
  redis: () => import("../protocols/redis/testdata/codec-test-module.ts"),
  kafka: () => import("../protocols/kafka/testdata/codec-test-module.ts"),
};

export const BUILT_IN_CODEC_NAMES: readonly string[] = Object.keys(BUILT_IN_MODULES);

/**
 * A built-in codec's module by name, else imports `path` (relative to the working directory);
 * then checks it has the CodecTestModule shape.
 */
export async function loadCodecModule(path: string): Promise<{ factory: CodecFactory; samples: CodecSample[]; options: ConformanceOptions }> {
  let mod: Partial<CodecTestModule>;
  try {
    const builtIn = BUILT_IN_MODULES[path];
    if (builtIn === undefined && /\.[cm]?ts$/.test(path)) await registerTypeScript(path);
    mod = (await (builtIn?.() ?? import(pathToFileURL(resolve(path)).href))) as Partial<CodecTestModule>;
  } catch (error) {
    throw new InvalidCodecModuleError(`${path}: cannot be loaded: ${(error as Error)?.message ?? String(error)}`);
  }
  const factory = mod.codec ?? mod.default;
  if (typeof factory !== "function") throw new InvalidCodecModuleError(`${path}: export a codec factory as \`codec\` (or default)`);
  const raw = typeof mod.samples === "function" ? await mod.samples() : mod.samples;
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidCodecModuleError(`${path}: export \`samples\`, a non-empty array of { name, bytes }`);
  for (const s of raw) {
    if (typeof s?.name !== "string" || !Buffer.isBuffer(s.bytes)) throw new InvalidCodecModuleError(`${path}: every sample needs a string \`name\` and a Buffer \`bytes\``);
  }
  return { factory, samples: raw, options: mod.options ?? {} };
}

let typeScriptRegistered = false;

/**
 * A TypeScript codec module needs a loader under plain Node 20: tsx, when the user has it (a
 * meshsim checkout always does). Without it, a message that says what to do.
 */
async function registerTypeScript(path: string): Promise<void> {
  // Running from sources means a TypeScript loader is already in place.
  if (typeScriptRegistered || import.meta.url.endsWith(".ts")) return;
  let api: { register(): unknown };
  try {
    api = (await import("tsx/esm/api")) as { register(): unknown };
  } catch {
    throw new InvalidCodecModuleError(`${path}: a TypeScript codec module needs tsx to load (npm install --save-dev tsx), or compile it to JavaScript first`);
  }
  api.register();
  typeScriptRegistered = true;
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
