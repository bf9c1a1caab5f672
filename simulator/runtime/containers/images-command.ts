/** `meshsim images build [--base IMAGE]`: the image containers and docker-compose.yml run, built unless current. */
import { parseFlags } from "../../../common/child-process-protocol.ts";
import { MeshsimError } from "../../../common/errors.ts";
import { closeEngine, openEngine } from "./engine.ts";
import { baseImage, ensureImage, IMAGE_REPO } from "./images.ts";

export async function imagesCommand(args: string[]): Promise<number> {
  const { flags, positional } = parseFlags(args);
  if (positional[0] !== "build" || positional.length !== 1) throw new MeshsimError("INVALID_INPUT", "usage: meshsim images build [--base IMAGE]");
  try {
    const engine = await openEngine();
    const image = await ensureImage(engine, { base: flags.base ?? baseImage(), log: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`${image.name}${image.built ? " built" : " is current"} (also tagged ${IMAGE_REPO}:latest)\n`);
    return 0;
  } finally {
    await closeEngine();
  }
}
