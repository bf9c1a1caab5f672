import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * The bundle of one of another checkout's entry points (say a worktree of main), built by that
 * checkout's own bundler, so that a benchmark can run its code beside ours ("before" rows).
 */
export function bundledEntryIn(checkout: string, script: string): string {
  const printed = spawnSync(
    process.execPath,
    ["--import", "tsx", "-e", `import(${JSON.stringify(join(checkout, "simulator/runtime/node-command.ts"))}).then((m) => console.log(m.bundledEntry(${JSON.stringify(script)}) ?? ""))`],
    { cwd: checkout, encoding: "utf8" },
  );
  const bundle = printed.stdout.trim();
  if (printed.status !== 0 || bundle === "") throw new Error(`could not bundle ${script} in ${checkout}: ${printed.stderr}`);
  return bundle;
}
