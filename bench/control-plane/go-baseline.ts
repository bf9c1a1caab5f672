/**
 * Builds the go-control-plane baseline (go-baseline/, an xDS server on go-control-plane's
 * snapshot cache) into .cache/bin. `go build` is incremental: after the first build it only
 * checks that nothing changed.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { projectPath } from "../../simulator/runtime/node-command.ts";

export type GoBaseline = { binary: string } | { skipped: string };

export function buildGoBaseline(): GoBaseline {
  const binary = projectPath(".cache/bin/xds-baseline");
  const source = fileURLToPath(new URL("./go-baseline/", import.meta.url));
  const built = spawnSync("go", ["build", "-o", binary, "."], { cwd: source, encoding: "utf8" });
  if (built.error && (built.error as NodeJS.ErrnoException).code === "ENOENT") {
    return { skipped: "go not found: the go-control-plane baseline is skipped (install Go 1.23+ to compare)" };
  }
  if (built.status !== 0) throw new Error(`go build in ${source} failed:\n${built.stderr}`);
  return { binary };
}
