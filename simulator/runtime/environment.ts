/**
 * What a scenario needs from the machine beyond Node.js, checked before anything starts so a
 * missing server is reported as one line with the command that installs it (exit code 2).
 */
import { accessSync, constants, existsSync } from "node:fs";
import { RATELIMIT_BIN } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { delimiter, join } from "node:path";
import type { DataPlane, Scenario } from "../scenario/types.ts";
import { clientDataPlane } from "../scenario-topology.ts";
import { envoyMissing } from "./envoy/binary.ts";
import { simulatorProtocol } from "../protocols/registry.ts";
import type { Requirement } from "../protocols/simulator-protocol.ts";

export function onPath(binary: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * One line per missing executable or build, e.g. `redis-server not found (needed by redis
 * services): apt-get install -y redis-server`; each service's plug-in says what it needs.
 * `dataPlane` is the run's choice of sidecar (Envoy must be installed when any client gets one).
 */
export function missingEnvironment(scenario: Scenario, dataPlane?: DataPlane, path = process.env.PATH ?? ""): string[] {
  const out = new Set<string>();
  const envoy = scenario.topology.clients.some((c) => c.sidecar && clientDataPlane(scenario, c, dataPlane) === "envoy") ? envoyMissing() : undefined;
  if (envoy) out.add(envoy);
  // A binary missing for several needs is reported once, for the first.
  const reported = new Set<string>();
  const binary = (need: Requirement, neededBy: string) => {
    if (reported.has(need.binary) || onPath(need.binary, path)) return;
    reported.add(need.binary);
    out.add(`${need.binary} not found (needed by ${need.neededBy ?? neededBy}): ${need.install}`);
  };
  for (const service of scenario.topology.services) {
    for (const need of simulatorProtocol(service.protocol).requirements?.(service) ?? []) {
      if ("binary" in need) binary(need, `${service.protocol} services`);
      else if (need.status() === "missing") out.add(`${need.name} not built (needed by ${service.protocol} services): ${need.command} (or npx meshsim doctor --fix)`);
    }
  }
  if (scenario.topology.rateLimitService !== undefined) {
    if (!existsSync(RATELIMIT_BIN)) out.add(`${RATELIMIT_BIN} not built (needed by topology.rateLimitService): npx meshsim doctor --fix (or bash fixtures/ratelimit/build.sh)`);
    binary({ binary: "redis-server", install: "apt-get install -y redis-server" }, "topology.rateLimitService");
  }
  return [...out];
}
