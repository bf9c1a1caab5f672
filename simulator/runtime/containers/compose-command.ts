/** `meshsim compose <scenario> [--out DIR] [--data-plane meshsim|envoy]`: a compose project for the scenario's topology (compose-file.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "../../../common/child-process-protocol.ts";
import { MeshsimError } from "../../../common/errors.ts";
import { destinationRuleHosts } from "../../runner.ts";
import { loadScenario } from "../../scenario/loader.ts";
import { DATA_PLANES, type DataPlane } from "../../scenario/types.ts";
import { toTopologySpec } from "../../scenario-topology.ts";
import { composeProject } from "./compose-file.ts";

const USAGE = "usage: meshsim compose <scenario.yaml> [--out DIR] [--data-plane meshsim|envoy]";

export async function composeCommand(args: string[]): Promise<number> {
  const { flags, positional } = parseFlags(args);
  if (positional.length !== 1) throw new MeshsimError("INVALID_INPUT", USAGE);
  const dataPlane = flags["data-plane"];
  if (dataPlane !== undefined && !(DATA_PLANES as readonly string[]).includes(dataPlane))
    throw new MeshsimError("INVALID_INPUT", `--data-plane ${dataPlane}: compose takes meshsim or envoy\n${USAGE}`);
  const scenario = await loadScenario(positional[0]!);
  const files = composeProject(scenario, toTopologySpec(scenario, dataPlane as DataPlane | undefined), destinationRuleHosts(scenario));
  const out = flags.out ?? `compose-${scenario.metadata.name}`;
  mkdirSync(out, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(out, name), content);
  process.stdout.write(
    `wrote ${Object.keys(files)
      .map((f) => join(out, f))
      .join(", ")}\nthen: npx meshsim images build && cd ${out} && podman-compose up -d\n`,
  );
  return 0;
}
