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
 * One line per missing executable, e.g. `redis-server not found: apt-get install -y redis-server`;
 * `dataPlane` is the run's choice of sidecar (Envoy must be installed when any client gets one).
 */
export function missingEnvironment(scenario: Scenario, dataPlane?: DataPlane, path = process.env.PATH ?? ""): string[] {
  const protocols = new Set(scenario.topology.services.map((s) => s.protocol));
  const out: string[] = [];
  const envoy = scenario.topology.clients.some((c) => c.sidecar && clientDataPlane(scenario, c, dataPlane) === "envoy") ? envoyMissing() : undefined;
  if (envoy) out.push(envoy);
  for (const protocol of protocols) {
    for (const need of simulatorProtocol(protocol).requirements ?? []) {
      if (!onPath(need.binary, path)) out.push(`${need.binary} not found (needed by ${protocol} services): ${need.install}`);
    }
  }
  if (scenario.topology.rateLimitService !== undefined) {
    if (!existsSync(RATELIMIT_BIN)) out.push(`${RATELIMIT_BIN} not built (needed by topology.rateLimitService): npx meshsim doctor --fix (or bash fixtures/ratelimit/build.sh)`);
    if (!protocols.has("redis") && !onPath("redis-server", path)) out.push("redis-server not found (needed by topology.rateLimitService): apt-get install -y redis-server");
  }
  if (scenario.topology.services.some((s) => s.dubbo?.provider === "java") && !onPath("java", path))
    out.push("java not found (needed by the Java Dubbo provider): apt-get install -y default-jre-headless");
  return out;
}
