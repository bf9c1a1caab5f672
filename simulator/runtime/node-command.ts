import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
// Resolved from this package, not the caller's cwd, so `npx meshsim` works from any folder.
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;

/** Absolute path of a file in this package. */
export function projectPath(relative: string): string {
  return projectRoot + relative;
}

/** How to run one of meshsim's TypeScript entry points as a child process, from any cwd. */
export function nodeScript(relativeScript: string, args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", tsxLoader, projectPath(relativeScript), ...args] };
}
