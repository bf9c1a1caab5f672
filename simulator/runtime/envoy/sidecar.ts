/** How the process backend starts an Envoy sidecar: the launcher, the binary and its bootstrap. */
import { MeshsimError } from "../../../common/errors.ts";
import { nodeScript } from "../node-command.ts";
import type { SpawnSpec } from "../process-supervisor.ts";
import { envoyMissing, envoyPath } from "./binary.ts";
import { envoyBootstrap, type EnvoyBootstrapOptions } from "./bootstrap.ts";

export function envoySidecarSpawn(name: string, bootstrap: EnvoyBootstrapOptions, options: { concurrency?: number } = {}): SpawnSpec {
  return envoySpawn(name, envoyBootstrap(bootstrap), options);
}

/** Any Envoy with a bootstrap of the caller's (a sidecar's, or a benchmark's static one). */
export function envoySpawn(name: string, bootstrap: Record<string, unknown>, options: { concurrency?: number } = {}): SpawnSpec {
  const binary = envoyPath();
  if (binary === undefined) throw new MeshsimError("ENVIRONMENT", envoyMissing() ?? "Envoy is not installed");
  return {
    name,
    ...nodeScript("simulator/runtime/envoy/launcher.ts", [
      "--envoy",
      binary,
      "--bootstrap-json",
      JSON.stringify(bootstrap),
      "--concurrency",
      String(options.concurrency ?? 1),
      // MESHSIM_ENVOY_LOG_LEVEL=debug puts Envoy's debug log in the sidecar's log file.
      "--log-level",
      process.env.MESHSIM_ENVOY_LOG_LEVEL ?? "warn",
    ]),
    // Envoy is ready once its first clusters and listeners arrived; a first start also maps the binary.
    readyTimeoutMs: 30_000,
  };
}
