import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const tsxLoader = import.meta.resolve("tsx");

/** Absolute path of a file in this package. */
export function projectPath(relative: string): string {
  return projectRoot + relative;
}

/** How to run one of meshsim's TypeScript entry points as a child process, from any cwd. */
export function nodeScript(relativeScript: string, args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", tsxLoader, projectPath(relativeScript), ...args] };
}
