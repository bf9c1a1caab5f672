/**
 * When an Envoy sidecar in containers serves (what runs in it: parts.ts). It runs in its client's
 * pod (`container:<pod>`), like meshsim's proxy there, and takes its configuration over ADS from
 * the control plane's alias as a local Envoy does.
 */
import { MeshsimError } from "../../../common/errors.ts";

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
