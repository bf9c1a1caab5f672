/**
 * The container engine a run talks to, opened once per simulator process: `DOCKER_HOST` when the
 * user has Docker (or a podman socket of their own), else a podman API service that meshsim
 * starts for the life of this process (and stops with it). Either way a reaper process removes
 * everything labelled with this process's session when the process ends, however it ends.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshsimError } from "../../../common/errors.ts";
import { onPath } from "../environment.ts";
import { nodeScript, projectPath } from "../node-command.ts";
import { DockerApi } from "./docker-api.ts";

/** Every container, network and volume meshsim creates carries this label (plus a session and a run label). */
export const MESHSIM_LABEL = "dev.meshsim";
export const SESSION_LABEL = "dev.meshsim.session";
export const RUN_LABEL = "dev.meshsim.run";

/** What to run when no engine is found; printed as is (exit code 2). */
export const ENGINE_FIX =
  "no container engine: run `sudo npx meshsim doctor --fix` (installs podman and runc, writes images/containers.conf, builds the base image), or set DOCKER_HOST to a Docker or podman API socket";

export interface Engine {
  dockerHost: string;
  api: DockerApi;
  sessionId: string;
  /** Labels every object of this session carries. */
  labels(runId: string): Record<string, string>;
}

/** DOCKER_HOST as the user set it (this module sets its own once the engine runs). */
const USER_DOCKER_HOST = process.env.DOCKER_HOST;
let opened: Promise<Engine> | undefined;
let closeReaper: (() => Promise<void>) | undefined;

export function openEngine(): Promise<Engine> {
  opened ??= start().catch((err) => {
    opened = undefined;
    throw err;
  });
  return opened;
}

/**
 * Ends this process's session now: the reaper removes what is left and stops the podman service.
 * For the end of a command; containers started after this would need a new engine client.
 */
export async function closeEngine(): Promise<void> {
  const close = closeReaper;
  opened = undefined;
  closeReaper = undefined;
  await close?.();
}

/** The podman settings meshsim runs with, unless the user points CONTAINERS_CONF elsewhere. */
export function podmanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, CONTAINERS_CONF: env.CONTAINERS_CONF || projectPath("images/containers.conf") };
}

async function start(): Promise<Engine> {
  const sessionId = randomBytes(6).toString("hex");
  const fromEnv = USER_DOCKER_HOST;
  if (!fromEnv && !onPath("podman")) throw new MeshsimError("ENVIRONMENT", ENGINE_FIX);
  const where = fromEnv ? ["--docker-host", fromEnv] : ["--podman-socket", join(tmpdir(), `meshsim-podman-${process.pid}-${sessionId}.sock`)];
  const { command, args } = nodeScript("simulator/runtime/containers/reaper.ts", ["--label", `${SESSION_LABEL}=${sessionId}`, ...where]);
  const reaper = spawn(command, args, { detached: true, stdio: ["pipe", "pipe", "inherit"], env: podmanEnv() });
  const dockerHost = await new Promise<string>((resolve, reject) => {
    let out = "";
    reaper.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"ready":true'));
      if (line) resolve((JSON.parse(line) as { dockerHost: string }).dockerHost);
    });
    reaper.once("exit", (code) => reject(new MeshsimError("ENVIRONMENT", `the container engine did not start (reaper exit code ${code}); ${ENGINE_FIX}`)));
  });
  reaper.removeAllListeners("exit");
  reaper.stdout!.destroy();
  // The reaper must not keep this process alive; its stdin closes when this process exits.
  reaper.unref();
  (reaper.stdin as unknown as { unref(): void }).unref();
  closeReaper = () =>
    new Promise<void>((resolve) => {
      if (reaper.exitCode !== null) return resolve();
      reaper.ref(); // waiting for it must keep this process alive
      reaper.once("exit", () => resolve());
      reaper.stdin!.end();
    });

  // testcontainers reads these when it first connects: Ryuk cannot be pulled here (the reaper
  // above does its job), and published ports are reached on loopback only.
  process.env.DOCKER_HOST = dockerHost;
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE = "127.0.0.1";
  const api = new DockerApi(dockerHost);
  return {
    dockerHost,
    api,
    sessionId,
    labels: (runId) => ({ [MESHSIM_LABEL]: "true", [SESSION_LABEL]: sessionId, [RUN_LABEL]: runId }),
  };
}
