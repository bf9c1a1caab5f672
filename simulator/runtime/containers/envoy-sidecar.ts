/**
 * An Envoy sidecar in containers: the Envoy image started in its client's pod (`container:<pod>`),
 * like meshsim's proxy there. It reaches the control plane by its alias, binds its listeners and
 * admin interface on every address of the pod's namespace (the pod publishes their ports on the
 * host's 127.0.0.1), and takes its configuration over ADS as a local Envoy does.
 */
import { Wait } from "testcontainers";
import { MeshsimError } from "../../../common/errors.ts";
import { envoyArgs } from "../envoy/args.ts";
import { envoyBootstrap, type EnvoyBootstrapOptions } from "../envoy/bootstrap.ts";
import { ENVOY_IN_IMAGE } from "./images.ts";
import type { MeshsimContainer } from "./meshsim-container.ts";

/** Makes `c` (a container of the Envoy image, in the pod's namespace) an Envoy sidecar. */
export function asEnvoySidecar(c: MeshsimContainer, bootstrap: Omit<EnvoyBootstrapOptions, "bindHost">): MeshsimContainer {
  const config = envoyBootstrap({ ...bootstrap, bindHost: "0.0.0.0" });
  return c
    .withEntrypoint([ENVOY_IN_IMAGE])
    // MESHSIM_ENVOY_LOG_LEVEL=debug puts Envoy's debug log in the sidecar's log, as in process mode;
    // the main component's info line says when Envoy serves.
    .withCommand([...envoyArgs({ bootstrap: JSON.stringify(config), concurrency: "1", logLevel: process.env.MESHSIM_ENVOY_LOG_LEVEL ?? "warn" }), "--component-log-level", "main:info"])
    .withWaitStrategy(Wait.forLogMessage(/starting main dispatch loop/));
}

/** Resolves once Envoy reports LIVE (its first clusters and listeners arrived), asked through the pod's published admin port. */
export async function waitForEnvoyLive(client: string, adminPort: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await fetch(`http://127.0.0.1:${adminPort}/ready`).then(
      async (res) => {
        await res.text();
        return res.ok;
      },
      () => false,
    );
    if (live) return;
    if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `the Envoy sidecar of ${client} is not LIVE after ${timeoutMs} ms (no configuration from the control plane?)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
