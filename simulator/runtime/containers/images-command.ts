/**
 * `meshsim images build [--base IMAGE]`: the images containers and docker-compose.yml run, each
 * built unless current — the runtime image always; the Java image (Kafka broker, Java Dubbo
 * provider) and the Envoy image when what they carry is on this machine, else they are skipped
 * with the reason (a topology that needs them says the same, with the fix, when it starts).
 */
import { parseFlags } from "../../../common/child-process-protocol.ts";
import { MeshsimError } from "../../../common/errors.ts";
import { closeEngine, openEngine } from "./engine.ts";
import { baseImage, ensureEnvoyImage, ensureImage, ensureJvmImage, type BuiltImage } from "./images.ts";

export async function imagesCommand(args: string[]): Promise<number> {
  const { flags, positional } = parseFlags(args);
  if (positional[0] !== "build" || positional.length !== 1) throw new MeshsimError("INVALID_INPUT", "usage: meshsim images build [--base IMAGE]");
  try {
    const engine = await openEngine();
    const options = { base: flags.base ?? baseImage(), log: (line: string) => process.stdout.write(`${line}\n`) };
    const report = (image: BuiltImage) => process.stdout.write(`${image.name}${image.built ? " built" : " is current"} (also tagged :latest)\n`);
    report(await ensureImage(engine, options));
    for (const build of [ensureJvmImage, ensureEnvoyImage]) {
      try {
        report(await build(engine, options));
      } catch (err) {
        // Missing inputs only: a failed build is an error like any other.
        if (!(err instanceof MeshsimError) || err.code !== "ENVIRONMENT") throw err;
        process.stdout.write(`skipped: ${err.message}\n`);
      }
    }
    return 0;
  } finally {
    await closeEngine();
  }
}
