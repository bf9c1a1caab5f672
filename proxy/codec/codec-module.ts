/**
 * Loading a codec module (the CodecTestModule shape, see codec-test.ts) from a file: what
 * `meshsim codec-test <module>` and `meshsim proxy --codec <name>=<module>` share. Kept apart from
 * the conformance suite so a sidecar that loads a codec does not load fast-check with it.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CodecFactory } from "./codec.ts";
import type { CodecSample, ConformanceOptions } from "./conformance.ts";

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

export interface LoadedCodecModule {
  factory: CodecFactory;
  samples: CodecSample[];
  options: ConformanceOptions;
}

/** Imports the module at `path` (relative to the working directory) and checks its shape. */
export async function loadCodecModuleFile(path: string): Promise<LoadedCodecModule> {
  let mod: Partial<CodecTestModule>;
  try {
    if (/\.[cm]?ts$/.test(path)) await registerTypeScript(path);
    mod = (await import(pathToFileURL(resolve(path)).href)) as Partial<CodecTestModule>;
  } catch (error) {
    if (error instanceof InvalidCodecModuleError) throw error;
    throw new InvalidCodecModuleError(`${path}: cannot be loaded: ${(error as Error)?.message ?? String(error)}`);
  }
  return checkCodecModule(mod, path);
}

/** The factory, samples and options of a loaded module, or InvalidCodecModuleError naming what is missing. */
export async function checkCodecModule(mod: Partial<CodecTestModule>, path: string): Promise<LoadedCodecModule> {
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
