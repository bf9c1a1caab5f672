/**
 * meshsim's container image, built from images/runtime/Containerfile and tagged with a hash of
 * everything that goes into it (the Containerfile, the base image, the Node binary, the bundled
 * entry points, package-lock.json), so a build happens only when one of them changed. The build
 * context is staged in .cache/images/: the host's Node 20 binary, esbuild bundles of the entry
 * points, and the production dependencies from node_modules.
 */
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { MeshsimError } from "../../../common/errors.ts";
import { bundledEntry, projectPath, RUNS_COMPILED } from "../node-command.ts";
import { bundlePath, PROTO_BUNDLES, type ProtoBundle } from "../../../common/proto-bundles.ts";
import type { Engine } from "./engine.ts";

export const IMAGE_REPO = "localhost/meshsim/runtime";
export const DEFAULT_BASE_IMAGE = "localhost/meshsim/debian-base:bookworm";

/** The entry points the image carries, run as `node bundles/<name>.mjs`. */
export const IMAGE_ENTRIES = ["control-plane/main.ts", "proxy/main.ts", "fixtures/thrift/server.ts", "fixtures/dubbo/server.ts", "simulator/clients/split-client.ts"] as const;
export type ImageEntry = (typeof IMAGE_ENTRIES)[number];

const GENERATED_THRIFT = ["fixtures/thrift/gen-nodejs/Hello.js", "fixtures/thrift/gen-nodejs/hello_types.js"];
const PROTO_BUNDLE_FILES = (Object.keys(PROTO_BUNDLES) as ProtoBundle[]).map(bundlePath);

/** The path inside the image of an entry point's bundle. */
export function entryInImage(entry: ImageEntry): string {
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
  if (RUNS_COMPILED) throw new MeshsimError("ENVIRONMENT", "container images are built from a meshsim checkout (git clone, npm ci, then meshsim images build); the installed package runs --backend processes");
  const base = options.base ?? baseImage();
  const bundles = IMAGE_ENTRIES.map((entry) => {
    const path = bundledEntry(entry);
    if (!path) throw new MeshsimError("STARTUP_FAILED", `cannot bundle ${entry} for the image (esbuild failed or .cache is not writable)`);
    return { entry, path };
  });
  const containerfile = projectPath("images/runtime/Containerfile");
  const hash = createHash("sha256");
  hash.update(`${base}\n${process.version}\n`);
  for (const file of [containerfile, projectPath("package-lock.json"), ...GENERATED_THRIFT.map(projectPath), ...PROTO_BUNDLE_FILES, ...bundles.map((b) => b.path)]) hash.update(readFileSync(file));
  const tag = hash.digest("hex").slice(0, 16);
  const name = `${IMAGE_REPO}:${tag}`;
  // One build per tag on this machine: concurrent runs (test workers) wait for the first.
  const release = await buildLock(projectPath(`.cache/images/runtime-${tag}.lock`));
  try {
    return await buildUnlessPresent(engine, name, tag, base, containerfile, bundles, options.log);
  } finally {
    release();
  }
}

async function buildUnlessPresent(
  engine: Engine,
  name: string,
  tag: string,
  base: string,
  containerfile: string,
  bundles: Array<{ entry: string; path: string }>,
  log: ((line: string) => void) | undefined,
): Promise<BuiltImage> {
  if (await engine.api.imageExists(name)) {
    await engine.api.tagImage(name, IMAGE_REPO, "latest");
    return { name, built: false };
  }
  if (base === DEFAULT_BASE_IMAGE && !(await engine.api.imageExists(base))) {
    throw new MeshsimError("ENVIRONMENT", `the base image ${base} is missing: run \`sudo npx meshsim doctor --fix\` (builds it with mmdebstrap), or set MESHSIM_BASE_IMAGE to a Debian 12 image from a registry`);
  }

  const context = projectPath(`.cache/images/runtime-${tag}-${process.pid}`);
  rmSync(context, { recursive: true, force: true });
  try {
    mkdirSync(join(context, "app/bundles"), { recursive: true });
    log?.(`building ${name} from ${base} (staged in ${context})`);
    copyFileSync(containerfile, join(context, "Containerfile"));
    copyFileSync(process.execPath, join(context, "node"));
    for (const b of bundles) copyFileSync(b.path, join(context, "app/bundles", bundleName(b.entry)));
    // The Thrift fixtures load the generated CommonJS code next to themselves at run time.
    cpSync(projectPath("fixtures/thrift/gen-nodejs"), join(context, "app/bundles/gen-nodejs"), { recursive: true });
    // The Envoy proto bundles, found by walking up from the bundle (common/proto-bundles.ts).
    cpSync(projectPath("common/protos"), join(context, "app/common/protos"), { recursive: true });
    writeFileSync(join(context, "app/package.json"), readFileSync(projectPath("package.json")));
    for (const pkg of productionPackages()) cpSync(projectPath(`node_modules/${pkg}`), join(context, "app/node_modules", pkg), { recursive: true, dereference: true });
    const { GenericContainer } = await import("testcontainers");
    await GenericContainer.fromDockerfile(context, "Containerfile").withBuildArgs({ BASE: base, CHECKOUT: projectPath("") }).build(name, { deleteOnExit: false });
    await engine.api.tagImage(name, IMAGE_REPO, "latest");
    // This checkout's earlier builds are stale now (each holds a few hundred MB of its own).
    await engine.api.removeOtherImages(IMAGE_REPO, name, `dev.meshsim.checkout=${projectPath("")}`).catch(() => undefined);
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
