/**
 * meshsim's container images, each tagged with a hash of everything that goes into it, so a build
 * happens only when one of those changed; each build context is staged in .cache/images/.
 * - runtime (images/runtime/Containerfile): the host's Node 20 binary, esbuild bundles of the
 *   entry points, the production dependencies from node_modules;
 * - jvm (images/jvm/): a JRE, the Kafka broker's jars, the protocols' Java peers;
 * - envoy (images/envoy/): the Envoy binary meshsim runs on the host.
 */
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MeshsimError } from "../../../common/errors.ts";
import { bundledEntry, projectPath, RUNS_COMPILED } from "../node-command.ts";
import { bundlePath, PROTO_BUNDLES, type ProtoBundle } from "../../../common/proto-bundles.ts";
import type { Engine } from "./engine.ts";
import { KAFKA_LIB, PREPARE_COMMAND } from "../../../fixtures/kafka/broker.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "../../protocols/registry.ts";
import type { JavaJar } from "../../protocols/simulator-protocol.ts";
import { envoyMissing, envoyPath } from "../envoy/binary.ts";

export const IMAGE_REPO = "localhost/meshsim/runtime";
export const DEFAULT_BASE_IMAGE = "localhost/meshsim/debian-base:bookworm";

/** The entry points the image carries, run as `node bundles/<name>.mjs`. */
export const IMAGE_ENTRIES = ["control-plane/main.ts", "proxy/main.ts", "fixtures/thrift/server.ts", "fixtures/dubbo/server.ts", "simulator/clients/split-client.ts"] as const;
export type ImageEntry = (typeof IMAGE_ENTRIES)[number];

const GENERATED_THRIFT = ["fixtures/thrift/gen-nodejs/Hello.js", "fixtures/thrift/gen-nodejs/hello_types.js"];

/** The path inside the image of an entry point's bundle. */
export function entryInImage(entry: string): string {
  if (!(IMAGE_ENTRIES as readonly string[]).includes(entry))
    throw new MeshsimError("ENVIRONMENT", `${entry} is not in meshsim's container image (it holds ${IMAGE_ENTRIES.join(", ")}); use --backend processes`);
  return `/app/bundles/${bundleName(entry)}`;
}

function bundleName(entry: string): string {
  return `${entry.replace(/\.ts$/, "").replace(/\//g, "-")}.mjs`;
}

/** Not needed in the image: esbuild and tsx build and load TypeScript on the host; testcontainers drives the engine. */
const HOST_ONLY_PACKAGES = new Set(["esbuild", "tsx", "testcontainers"]);

export interface BuiltImage {
  /** `meshsim/runtime:<hash>`. */
  name: string;
  built: boolean;
}

/** The base image: `MESHSIM_BASE_IMAGE`, else the locally built Debian base. */
export function baseImage(env = process.env): string {
  return env.MESHSIM_BASE_IMAGE || DEFAULT_BASE_IMAGE;
}

/** Builds the image unless one with the same content hash exists; also tags it `:latest` (docker-compose.yml uses that). */
export async function ensureImage(engine: Engine, options: { base?: string; log?: (line: string) => void } = {}): Promise<BuiltImage> {
  if (RUNS_COMPILED)
    throw new MeshsimError("ENVIRONMENT", "container images are built from a meshsim checkout (git clone, npm ci, then meshsim images build); the installed package runs --backend processes");
  const bundles = IMAGE_ENTRIES.map((entry) => {
    const path = bundledEntry(entry);
    if (!path) throw new MeshsimError("STARTUP_FAILED", `cannot bundle ${entry} for the image (esbuild failed or .cache is not writable)`);
    return { entry, path };
  });
  return ensureBuilt(
    engine,
    {
      repo: IMAGE_REPO,
      containerfile: projectPath("images/runtime/Containerfile"),
      base: options.base ?? baseImage(),
      hashed: [
        process.version,
        projectPath("package-lock.json"),
        ...GENERATED_THRIFT.map(projectPath),
        ...(Object.keys(PROTO_BUNDLES) as ProtoBundle[]).map(bundlePath),
        ...bundles.map((b) => b.path),
      ],
      stage(context) {
        mkdirSync(join(context, "app/bundles"), { recursive: true });
        copyFileSync(process.execPath, join(context, "node"));
        for (const b of bundles) copyFileSync(b.path, join(context, "app/bundles", bundleName(b.entry)));
        // The Thrift fixtures load the generated CommonJS code next to themselves at run time.
        cpSync(projectPath("fixtures/thrift/gen-nodejs"), join(context, "app/bundles/gen-nodejs"), { recursive: true });
        // The Envoy proto bundles, found by walking up from the bundle (common/proto-bundles.ts).
        cpSync(projectPath("common/protos"), join(context, "app/common/protos"), { recursive: true });
        writeFileSync(join(context, "app/package.json"), readFileSync(projectPath("package.json")));
        for (const pkg of productionPackages()) cpSync(projectPath(`node_modules/${pkg}`), join(context, "app/node_modules", pkg), { recursive: true, dereference: true });
      },
    },
    options.log,
  );
}

export const JVM_IMAGE_REPO = "localhost/meshsim/jvm";
export const ENVOY_IMAGE_REPO = "localhost/meshsim/envoy";

export const ENVOY_IN_IMAGE = "/usr/local/bin/envoy";
/** Where images/jvm/Containerfile copies the protocols' Java peers (a JavaJar's `inImage` lies below). */
const JAVA_PEERS_IN_JVM_IMAGE = "/opt/meshsim/";

/**
 * The image of meshsim's Java parts (images/jvm/Containerfile): a JRE, the Kafka broker's jars and
 * the Java peers protocols run (simulator/protocols/: each JavaJar with its lib/ folder), as
 * `meshsim doctor --fix` provides them on the host. Built from the base image alone, so meshsim's
 * own code changing does not rebuild it.
 */
export async function ensureJvmImage(engine: Engine, options: { base?: string; log?: (line: string) => void } = {}): Promise<BuiltImage> {
  if (!existsSync(KAFKA_LIB) || !readdirSync(KAFKA_LIB).some((f) => f.endsWith(".jar")))
    throw new MeshsimError("ENVIRONMENT", `the Kafka broker jars are missing in fixtures/kafka/lib (the Java image carries them): run ${PREPARE_COMMAND}, or npx meshsim doctor --fix`);
  const jars = javaPeers();
  for (const jar of jars) {
    if (jar.status() === "missing") throw new MeshsimError("ENVIRONMENT", `${jar.name} not built (the Java image carries them): run ${jar.command}, or npx meshsim doctor --fix`);
  }
  const startScript = projectPath("images/jvm/kafka-start.sh");
  const log4j = projectPath("fixtures/kafka/log4j2.properties");
  return ensureBuilt(
    engine,
    {
      repo: JVM_IMAGE_REPO,
      containerfile: projectPath("images/jvm/Containerfile"),
      base: options.base ?? baseImage(),
      // The jars' names carry their versions; names and sizes stand for their content.
      hashed: [startScript, log4j, ...jars.map((j) => j.path), listing(KAFKA_LIB), ...jars.map((j) => listing(join(dirname(j.path), "lib")))],
      stage(context) {
        cpSync(KAFKA_LIB, join(context, "kafka/lib"), { recursive: true });
        copyFileSync(log4j, join(context, "kafka/log4j2.properties"));
        copyFileSync(startScript, join(context, "kafka/start.sh"));
        for (const jar of jars) {
          const inContext = join(context, jar.inImage.slice(JAVA_PEERS_IN_JVM_IMAGE.length));
          cpSync(join(dirname(jar.path), "lib"), join(dirname(inContext), "lib"), { recursive: true });
          copyFileSync(jar.path, inContext);
        }
      },
    },
    options.log,
  );
}

/** Every registered protocol's Java peers, each once. */
function javaPeers(): JavaJar[] {
  const jars = PROTOCOL_NAMES.flatMap((name) => simulatorProtocol(name).builds ?? []).filter((b): b is JavaJar => "inImage" in b);
  for (const jar of jars) {
    if (!jar.inImage.startsWith(JAVA_PEERS_IN_JVM_IMAGE)) throw new Error(`${jar.name}: inImage must be below ${JAVA_PEERS_IN_JVM_IMAGE}`);
  }
  return [...new Set(jars)];
}

/** The image of Envoy sidecars (images/envoy/Containerfile): the Envoy binary meshsim runs on the host. */
export async function ensureEnvoyImage(engine: Engine, options: { base?: string; log?: (line: string) => void } = {}): Promise<BuiltImage> {
  const binary = envoyPath();
  if (binary === undefined) throw new MeshsimError("ENVIRONMENT", envoyMissing() ?? "Envoy is not installed");
  return ensureBuilt(
    engine,
    {
      repo: ENVOY_IMAGE_REPO,
      containerfile: projectPath("images/envoy/Containerfile"),
      base: options.base ?? baseImage(),
      hashed: [listing(dirname(binary), [basename(binary)])],
      stage(context) {
        copyFileSync(binary, join(context, "envoy"));
      },
    },
    options.log,
  );
}

/** `name size` of each file in `dir` (or of `names` there), one a line. */
function listing(dir: string, names = readdirSync(dir).sort()): string {
  return names.map((n) => `${n} ${statSync(join(dir, n)).size}`).join("\n");
}

/** A recipe for one of meshsim's images: what is hashed into its tag and how its build context is staged. */
interface ImageRecipe {
  repo: string;
  containerfile: string;
  base: string;
  /** What goes into the tag: files (absolute paths, by content) and plain strings. */
  hashed: string[];
  /** Puts everything the Containerfile copies into `context`. */
  stage(context: string): void;
}

async function ensureBuilt(engine: Engine, recipe: ImageRecipe, log: ((line: string) => void) | undefined): Promise<BuiltImage> {
  const hash = createHash("sha256");
  hash.update(`${recipe.base}\n`);
  for (const item of [recipe.containerfile, ...recipe.hashed]) hash.update(item.startsWith("/") ? readFileSync(item) : item);
  const tag = hash.digest("hex").slice(0, 16);
  const name = `${recipe.repo}:${tag}`;
  // One build per tag on this machine: concurrent runs (test workers) wait for the first.
  const release = await buildLock(projectPath(`.cache/images/${basename(recipe.repo)}-${tag}.lock`));
  try {
    return await buildUnlessPresent(engine, recipe, name, tag, log);
  } finally {
    release();
  }
}

async function buildUnlessPresent(engine: Engine, recipe: ImageRecipe, name: string, tag: string, log: ((line: string) => void) | undefined): Promise<BuiltImage> {
  if (await engine.api.imageExists(name)) {
    await engine.api.tagImage(name, recipe.repo, "latest");
    return { name, built: false };
  }
  if (recipe.base === DEFAULT_BASE_IMAGE && !(await engine.api.imageExists(recipe.base))) {
    throw new MeshsimError(
      "ENVIRONMENT",
      `the base image ${recipe.base} is missing: run \`sudo npx meshsim doctor --fix\` (builds it with mmdebstrap), or set MESHSIM_BASE_IMAGE to a Debian 12 image from a registry`,
    );
  }

  const context = projectPath(`.cache/images/${basename(recipe.repo)}-${tag}-${process.pid}`);
  rmSync(context, { recursive: true, force: true });
  try {
    mkdirSync(context, { recursive: true });
    log?.(`building ${name} from ${recipe.base} (staged in ${context})`);
    copyFileSync(recipe.containerfile, join(context, "Containerfile"));
    recipe.stage(context);
    const { GenericContainer } = await import("testcontainers");
    await GenericContainer.fromDockerfile(context, "Containerfile")
      .withBuildArgs({ BASE: recipe.base, CHECKOUT: projectPath("") })
      .build(name, { deleteOnExit: false });
    await engine.api.tagImage(name, recipe.repo, "latest");
    // This checkout's earlier builds are stale now (each holds a few hundred MB of its own).
    await engine.api.removeOtherImages(recipe.repo, name, `dev.meshsim.checkout=${projectPath("")}`).catch(() => undefined);
    return { name, built: true };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Takes a directory as a lock (left by a crashed build: taken over after 10 minutes). */
async function buildLock(path: string): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(path);
      return () => rmSync(path, { recursive: true, force: true });
    } catch {
      const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) rmSync(path, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `another build of the image still holds ${path}`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** meshsim's run-time dependencies and theirs, as installed in node_modules (top-level names). */
function productionPackages(): string[] {
  const seen = new Set<string>();
  const rootPkg = JSON.parse(readFileSync(projectPath("package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const queue = Object.keys(rootPkg.dependencies ?? {}).filter((d) => !HOST_ONLY_PACKAGES.has(d));
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    const manifest = projectPath(`node_modules/${name}/package.json`);
    // Optional dependencies for other platforms are not installed; nested copies travel with their parent.
    if (!existsSync(manifest)) continue;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    queue.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }));
  }
  return [...seen].sort();
}
