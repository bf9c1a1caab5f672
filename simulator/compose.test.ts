/**
 * docker-compose.yml (tag: containers) with podman-compose: `up` brings the demo topology up, the
 * client's exit code is the run's verdict (0 for the 20/80 split; 1 when the client expects
 * another split), and after `down` nothing labelled for the demo is left.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { openEngine, podmanEnv, type Engine } from "./runtime/containers/engine.ts";
import { ensureImage } from "./runtime/containers/images.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("docker-compose.yml with podman-compose", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine();
    await ensureImage(engine); // tags localhost/meshsim/runtime:latest, which the compose file runs
  }, 240_000);

  /** Runs a command to its end (never throws): exit status and output. */
  const exec = (file: string, args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ status: number; stdout: string }>((resolve) => {
      const child = spawn(file, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.resume();
      // "exit", not "close": the `podman start -a` processes podman-compose leaves behind hold the pipes until `down`.
      child.once("exit", (code) => setImmediate(() => resolve({ status: code ?? -1, stdout })));
    });
  const compose = (project: string, args: string[], env: Record<string, string> = {}) => exec("podman-compose", ["-p", project, ...args], { ...podmanEnv(), ...env });

  /** `down`, plus the project network podman-compose 1.0.3 leaves behind (docker compose removes it itself). */
  const down = async (project: string) => {
    await compose(project, ["down", "-t", "1"]);
    await exec("podman", ["network", "rm", "-f", `${project}_default`], podmanEnv());
  };

  it("up runs the split and exits with the client's verdict; down leaves nothing", async () => {
    const project = `meshsim-demo-${randomBytes(3).toString("hex")}`;
    const projectLabel = `com.docker.compose.project=${project}`;
    try {
      const passed = await compose(project, ["up", "--exit-code-from", "client"]);
      expect(passed.stdout).toMatch(/"counts":\{/);
      expect(passed.status).toBe(0);
      await down(project);
      expect(await engine.api.listLabelled(projectLabel)).toEqual({ containers: [], networks: [] });

      // The same topology, but the client expects 50/50: the split it observes fails that check.
      const failed = await compose(project, ["up", "--exit-code-from", "client"], { MESHSIM_DEMO_V1_SHARE: "0.5" });
      expect(failed.stdout).toMatch(/distribution by version: .* — FAIL/);
      expect(failed.status).toBe(1);
    } finally {
      await down(project);
    }
    expect(await engine.api.listLabelled(projectLabel)).toEqual({ containers: [], networks: [] });
  }, 240_000);
});
