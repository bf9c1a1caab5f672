/** An Envoy sidecar's /config_dump → the sidecar configuration explain reads. */
import type { SidecarConfig } from "./sidecar-config.ts";

export function configFromEnvoyDump(dump: unknown): SidecarConfig | undefined {
  const configs = (dump as { configs?: unknown })?.configs;
  if (!Array.isArray(configs)) return undefined;
  return undefined;
}
