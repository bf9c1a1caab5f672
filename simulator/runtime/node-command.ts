import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, statSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
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
/** Source folders bundles are built from; a change in any of them rebuilds. */
const BUNDLE_SOURCES = ["proxy", "control-plane", "common", "fixtures"];

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
 * Bundles an entry point into `.cache/bundles/` (once per source state: the file name carries a
 * hash of every source file's path, size and mtime). Packages stay external and resolve from this
 * package's node_modules. Returns undefined — and the caller falls back to the loader — when the
 * folder is not writable or esbuild fails.
 */
export function bundledEntry(relativeScript: string): string | undefined {
  if (built.has(relativeScript)) return built.get(relativeScript);
  let out: string | undefined;
  try {
    const hash = createHash("sha1");
    // The options too: a bundle built differently is another bundle.
    hash.update(JSON.stringify(BUNDLE_OPTIONS));
    // The entry point's own folder too (a benchmark's server lives in bench/).
    for (const dir of new Set([...BUNDLE_SOURCES, relativeScript.split("/")[0]!])) hashTree(projectPath(dir), hash);
    const name = relativeScript.replace(/\.ts$/, "").replace(/\//g, "-");
    const dir = projectPath(".cache/bundles");
    out = join(dir, `${name}-${hash.digest("hex").slice(0, 12)}.mjs`);
    if (!existsSync(out)) {
      mkdirSync(dir, { recursive: true });
      const esbuild = require("esbuild") as typeof import("esbuild");
      // Built in memory for its final place (so the map's source paths are right), written under
      // private names and renamed, so a concurrent run never starts a half-written bundle.
      const result = esbuild.buildSync({ ...BUNDLE_OPTIONS, entryPoints: [projectPath(relativeScript)], outfile: out, write: false });
      // The map first: a bundle that exists has its map.
      const files = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith(".map")) - Number(a.path.endsWith(".map")));
      for (const file of files) {
        const tmp = `${file.path}.${process.pid}.tmp`;
        writeFileSync(tmp, file.contents);
        renameSync(tmp, file.path);
      }
      // Older bundles of the same entry point are stale now — unless recent: another run (a test
      // worker started before a source edit) may be about to start one.
      const staleBefore = Date.now() - 10 * 60_000;
      for (const f of readdirSync(dir)) {
        const path = join(dir, f);
        if (f.startsWith(`${name}-`) && path !== out && path !== `${out}.map` && (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < staleBefore) rmSync(path, { force: true });
      }
    }
  } catch {
    out = undefined;
  }
  built.set(relativeScript, out);
  return out;
}

function hashTree(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "testdata") hashTree(full, hash);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      const st = statSync(full);
      hash.update(`${full}:${st.size}:${st.mtimeMs}\n`);
    }
  }
}
