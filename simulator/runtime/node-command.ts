import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
/**
 * True in the published package, where this module is JavaScript compiled into dist/ (which then
 * is the project root: assets are copied beside the code); false in a checkout running sources.
 */
export const RUNS_COMPILED = import.meta.url.endsWith(".js");

/** Entry points run as plain JavaScript bundles (see `bundledEntry`). */
const BUNDLED = new Set(["proxy/main.ts", "control-plane/main.ts"]);

/**
 * Node.js flags for meshsim's proxy wherever it runs (process, container, compose). A young
 * generation of 2 MiB semi-spaces instead of V8's 16 MiB keeps an idle sidecar ~10 MiB smaller; the
 * proxy's per-request garbage is short-lived, so the extra scavenges cost little (docs/performance.md).
 */
export const PROXY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=2"];

/** Absolute path of a file in this package. */
export function projectPath(relative: string): string {
  return projectRoot + relative;
}

/**
 * How to run one of meshsim's TypeScript entry points as a child process, from any cwd. The
 * published package runs the compiled JavaScript; in a checkout the proxy and the control plane
 * run from an esbuild bundle, which starts faster and uses ~35 MB less memory per process than
 * the TypeScript loader; other entry points use the loader, and so does a proxy that loads a
 * codec module (`fromSources`): the module's `import … from "meshsim"` must meet the very
 * classes the proxy uses, which a bundle holds copies of.
 */
export function nodeScript(relativeScript: string, args: string[], options: { fromSources?: boolean } = {}): { command: string; args: string[] } {
  const flags = relativeScript === "proxy/main.ts" ? PROXY_NODE_FLAGS : [];
  if (RUNS_COMPILED) return { command: process.execPath, args: [...flags, projectPath(relativeScript.replace(/\.ts$/, ".js")), ...args] };
  const bundle = BUNDLED.has(relativeScript) && !options.fromSources ? bundledEntry(relativeScript) : undefined;
  if (bundle) return { command: process.execPath, args: [...flags, bundle, ...args] };
  // The condition makes `import … from "meshsim"` (a user's codec module) load these same sources.
  return { command: process.execPath, args: [...flags, "--conditions=meshsim-source", "--import", tsxLoader(), projectPath(relativeScript), ...args] };
}

/** tsx's loader, resolved from this package rather than the caller's cwd, so `npx meshsim` works from any folder. */
function tsxLoader(): string {
  return pathToFileURL(join(dirname(require.resolve("tsx/package.json")), "dist/loader.mjs")).href;
}

const built = new Map<string, string | undefined>();

const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  // A file beside the bundle (for a debugger or --enable-source-maps), not inline: an inline map
  // stays in every sidecar's heap (~4.5 MiB).
  sourcemap: "linked",
  logLevel: "silent",
} as const satisfies import("esbuild").BuildOptions;

/**
 * Bundles an entry point into `.cache/bundles/` (once per source state). The file name carries a
 * hash of the bundler's options and of the path, size and mtime of every file the last build of
 * this entry point read (listed in `<name>.inputs.json` beside it): an edit to any of them, or to
 * an import added since, makes another bundle, and edits elsewhere do not (container images are
 * tagged by their bundles' contents). Packages stay external and resolve from this package's
 * node_modules. Returns undefined — and the caller falls back to the loader — when the folder is
 * not writable or esbuild fails.
 */
export function bundledEntry(relativeScript: string): string | undefined {
  if (built.has(relativeScript)) return built.get(relativeScript);
  let out: string | undefined;
  try {
    out = bundleIn(projectRoot, relativeScript);
  } catch {
    // The caller runs the sources through the loader instead.
  }
  built.set(relativeScript, out);
  return out;
}

/** bundledEntry's work for the project at `root` (ending in "/"), uncached; throws when esbuild fails. */
export function bundleIn(root: string, relativeScript: string): string {
  // The version from its package file: a bundle that is already built needs no esbuild loaded.
  const esbuildVersion = (require("esbuild/package.json") as { version: string }).version;
  const name = relativeScript.replace(/\.ts$/, "").replace(/\//g, "-");
  const dir = join(root, ".cache/bundles");
  const manifest = join(dir, `${name}.inputs.json`);
  const bundleFor = (inputs: readonly string[]) => join(dir, `${name}-${inputsHash(root, inputs, esbuildVersion)}.mjs`);
  const known = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as string[]) : undefined;
  const existing = known && bundleFor(known);
  if (existing && existsSync(existing)) return existing;
  mkdirSync(dir, { recursive: true });
  const esbuild = require("esbuild") as typeof import("esbuild");
  // Built in memory beside its final place (so the map's relative source paths hold), then
  // written under private names and renamed, so a concurrent run never starts a half-written
  // bundle.
  const draft = join(dir, `${name}.mjs`);
  const result = esbuild.buildSync({ ...BUNDLE_OPTIONS, entryPoints: [join(root, relativeScript)], outfile: draft, absWorkingDir: root, metafile: true, write: false });
  const inputs = Object.keys(result.metafile.inputs).sort();
  const out = bundleFor(inputs);
  const code = result.outputFiles.find((f) => f.path === draft)!.text.replace(`//# sourceMappingURL=${basename(draft)}.map`, `//# sourceMappingURL=${basename(out)}.map`);
  // The map first: a bundle that exists has its map; the list last: a list names a bundle that exists.
  const writes: Array<[string, string | Uint8Array]> = [
    [`${out}.map`, result.outputFiles.find((f) => f.path === `${draft}.map`)!.contents],
    [out, code],
    [manifest, JSON.stringify(inputs)],
  ];
  for (const [path, contents] of writes) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, contents);
    renameSync(tmp, path);
  }
  // Older bundles of the same entry point are stale now — unless recent: another run (a test
  // worker started before a source edit) may be about to start one.
  const staleBefore = Date.now() - 10 * 60_000;
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (f.startsWith(`${name}-`) && path !== out && path !== `${out}.map` && (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < staleBefore) rmSync(path, { force: true });
  }
  return out;
}

/** Hash of the bundler (its version, the options) and of each input's path, size and mtime (project-relative paths). */
function inputsHash(root: string, inputs: readonly string[], esbuildVersion: string): string {
  const hash = createHash("sha1");
  hash.update(`${esbuildVersion}\n${JSON.stringify(BUNDLE_OPTIONS)}\n`);
  for (const input of inputs) {
    const st = statSync(join(root, input), { throwIfNoEntry: false });
    hash.update(`${input}:${st ? `${st.size}:${st.mtimeMs}` : "missing"}\n`);
  }
  return hash.digest("hex").slice(0, 12);
}
