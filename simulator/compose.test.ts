/**
 * docker-compose.yml (tag: containers) with podman-compose: `up` brings the demo topology up, the
 * client's exit code is the run's verdict (0 for the 20/80 split; 1 when the client expects
 * another split), and after `down` nothing labelled for the demo is left. And `meshsim compose`:
 * the project it writes for a scenario comes up, and calls through the sidecar's published
 * listener reach both versions.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { openEngine, podmanEnv, type Engine } from "./runtime/containers/engine.ts";
import { ensureImage } from "./runtime/containers/images.ts";
import { createHelloClient } from "../fixtures/thrift/hello-client.ts";
import { waitForPort } from "./runtime/wait-for-port.ts";

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
  const compose = (project: string, args: string[], env: Record<string, string> = {}, file?: string) =>
    exec("podman-compose", [...(file ? ["-f", file] : []), "-p", project, ...args], { ...podmanEnv(), ...env });

  /** `down`, plus the project network podman-compose 1.0.3 leaves behind (docker compose removes it itself). */
  const down = async (project: string, file?: string) => {
    await compose(project, ["down", "-t", "1"], {}, file);
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

  it("meshsim compose writes a project for a scenario's topology: up, calls through the sidecar reach both versions, down leaves nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshsim-compose-"));
    const file = join(dir, "docker-compose.yml");
    const project = `meshsim-compose-${randomBytes(3).toString("hex")}`;
    const projectLabel = `com.docker.compose.project=${project}`;
    try {
      const written = await exec(process.execPath, ["bin/meshsim.mjs", "compose", "scenarios/thrift/traffic-split.yaml", "--out", dir], process.env);
      expect(written.status).toBe(0);
      const up = await compose(project, ["up", "-d"], {}, file);
      expect(up.status).toBe(0);
      const port = await exec("podman", ["port", `${project}_sidecar-caller_1`, "15001"], podmanEnv());
      const published = Number(/:(\d+)\s*$/.exec(port.stdout)?.[1]);
      await waitForPort("127.0.0.1", published, 30_000, "the sidecar's listener");
      // No MetaRouter (the split is a step of the scenario): the sidecar balances over both versions.
      const versions = new Set<string>();
      const deadline = Date.now() + 30_000;
      while (versions.size < 2 && Date.now() < deadline) {
        const client = createHelloClient({ host: "127.0.0.1", port: published });
        try {
          await client.connected;
          for (let i = 0; i < 10; i++) versions.add((await client.sayHello("compose")).identity.version);
        } catch {
          await new Promise((r) => setTimeout(r, 250)); // the sidecar has no routes until the control plane served it
        } finally {
          await client.close().catch(() => undefined);
        }
      }
      expect([...versions].sort()).toEqual(["v1", "v2"]);
    } finally {
      await down(project, file);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await engine.api.listLabelled(projectLabel)).toEqual({ containers: [], networks: [] });
  }, 240_000);
});
