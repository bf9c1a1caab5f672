/**
 * Builds the published package's dist/: tsc compiles the sources (tsconfig.build.json) to
 * JavaScript with declarations, then every non-TypeScript file the code reads at run time (proto
 * bundles, JSON schemas, generated Thrift code, the Java peers' sources, the Kafka broker's pom)
 * is copied beside it. dist/ is then a project root of its own (see RUNS_COMPILED).
 *
 *   npm run build
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const dist = join(root, "dist");
/** Source folders compiled into dist/ (as tsconfig.build.json includes them). */
const SOURCE_FOLDERS = ["common", "proxy", "control-plane", "simulator", "fixtures"];
/** Folders that hold only test material; the built-in codecs' samples are read by `codec-test <name>`. */
const TEST_ONLY = /(^|\/)(testdata|example-codec)(\/|$)/;
const CODEC_SAMPLES = /^proxy\/protocols\/[^/]+\/testdata\//;
/** Folders copied whole because they are run, not read: the images' build context and Maven's work. */
const PROJECT_FOLDERS = ["images"];

function trackedAssets(): string[] {
  const files = execFileSync("git", ["ls-files", "-z", ...SOURCE_FOLDERS], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  return files.filter((f) => !f.endsWith(".ts") && (!TEST_ONLY.test(f) || CODEC_SAMPLES.test(f)));
}

export function buildPackage(): void {
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
  const assets = trackedAssets();
  for (const file of assets) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    cpSync(join(root, file), join(dist, file));
  }
  for (const folder of PROJECT_FOLDERS) cpSync(join(root, folder), join(dist, folder), { recursive: true });
  console.log(`dist/: compiled ${SOURCE_FOLDERS.join(", ")} and index.ts; copied ${assets.length} assets and ${PROJECT_FOLDERS.join(", ")}/`);
}

if (import.meta.url === `file://${process.argv[1]}`) buildPackage();
