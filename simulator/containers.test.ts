/**
 * The container backend against the engine `meshsim doctor --fix` sets up: the CI subset (every
 * shipped scenario tagged `containers`: a split, a route shift under load, kill/restart, network
 * faults inside a container's namespace, Redis, Kafka, Dubbo with the Java provider), an Envoy
 * sidecar in a pod, what is refused, and clean-up — after every case nothing carrying this
 * process's session label is left, and a simulator killed with SIGKILL leaves nothing once its
 * reaper has run.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";
import { loadScenario } from "./scenario/loader.ts";
import { openEngine, SESSION_LABEL, type Engine } from "./runtime/containers/engine.ts";
import { ensureImage } from "./runtime/containers/images.ts";
import { expandYamlArgs } from "./cli.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
/** The CI subset: `npx meshsim run scenarios --tag containers --backend containers` runs the same. */
const TAGGED = await Promise.all(
  expandYamlArgs([`${root}scenarios`])
    .filter((f) => /^kind: Scenario$/m.test(readFileSync(f, "utf8")))
    .map(async (f) => ({ file: relative(root, f), tags: (await loadScenario(f)).metadata.tags })),
).then((all) => all.filter((s) => s.tags.includes("containers")).map((s) => s.file));
const run = (file: string) => runScenario(file, { backend: "containers", noReports: true });
/**
 * Failed expectations, latency thresholds aside: what they measure here is how busy the machine
 * is (the suite runs beside other tests on 2 cores), not what the container backend does.
 */
const failed = (summary: Awaited<ReturnType<typeof run>>) =>
  summary.steps.flatMap((s) => s.expectations.filter((e) => !e.passed && !e.name.startsWith("thresholds")).map((e) => `${s.name}: ${e.name}`));

describe("containers backend", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine();
    await ensureImage(engine); // the first build takes about a minute
  }, 240_000);

  afterEach(async () => {
    expect(await engine.api.listLabelled(`${SESSION_LABEL}=${engine.sessionId}`)).toEqual({ containers: [], networks: [] });
  });

  it("the subset covers what CI must run in containers", () => {
    expect(TAGGED.sort()).toEqual([
      "scenarios/dubbo/java-provider.yaml",
      "scenarios/kafka/produce.yaml",
      "scenarios/redis/prefix-routing.yaml",
      "scenarios/thrift/fault-namespace.yaml",
      "scenarios/thrift/kill-restart.yaml",
      "scenarios/thrift/route-shift-under-load.yaml",
      "scenarios/thrift/traffic-split.yaml",
    ]);
  });

  it.each(TAGGED)(
    "%s passes in containers",
    async (file) => {
      const summary = await run(file);
      expect(summary.error).toBeUndefined();
      expect(summary.environment.backend).toBe("containers");
      expect(failed(summary)).toEqual([]);
    },
    120_000,
  );

  it("runs the 20/80 split with an Envoy sidecar in the caller's pod", async () => {
    const summary = await runScenario("scenarios/thrift/traffic-split.yaml", { backend: "containers", dataPlane: "envoy", noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failed(summary)).toEqual([]);
    expect(summary.steps.at(-1)!.expectations.map((e) => e.name)).toContain("distribution by version");
  }, 120_000);

  it("without the faults, the checks of fault-namespace.yaml that see them fail (it passes with them in the subset)", async () => {
    // The scenario with the fault steps left out: the checks that see the faults fail, nothing else does.
    const scenario = await loadScenario("scenarios/thrift/fault-namespace.yaml");
    const unfaulted = await runScenario({ ...scenario, steps: scenario.steps.filter((s) => !s.actions.includes("fault")) }, { backend: "containers", noReports: true });
    expect(failed(unfaulted).sort()).toEqual(["traffic into the partition: errors timeout", "traffic with resets: errors total"]);
  }, 90_000);

  it("refuses what it cannot do in containers before starting anything", async () => {
    const summary = await run("scenarios/thrift/fault-network.yaml");
    expect(summary.error).toMatch(/faults between caller and its sidecar need the TCP fault proxy .* use --backend processes/);
    expect(summary.steps).toEqual([]);

    const kafka = await loadScenario("scenarios/kafka/produce.yaml");
    const threeBrokers = { ...kafka, topology: { ...kafka.topology, services: kafka.topology.services.map((s) => ({ ...s, kafka: { brokers: 3 as const } })) } };
    const refused = await runScenario(threeBrokers, { backend: "containers", noReports: true });
    expect(refused.error).toMatch(/service kafka: Kafka services of 3 brokers do not run in containers yet .* use --backend processes/);
    expect(refused.steps).toEqual([]);
  });

  /** `meshsim up --backend containers` in a child process, and what of its run is still there. */
  async function upInAChild() {
    const child = spawn(process.execPath, ["bin/meshsim.mjs", "up", "scenarios/thrift/traffic-split.yaml", "--backend", "containers"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const label = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const labelled = /everything labelled (\S+)/.exec(out);
        if (out.includes("press Ctrl-C") && labelled) resolve(labelled[1]!);
      });
      child.once("exit", (code) => reject(new Error(`meshsim up exited early (${code}): ${out}`)));
    });
    const left = () => engine.api.listLabelled(label);
    expect((await left()).containers.length).toBe(5); // control plane, hello v1 and v2, the pod, the sidecar
    return { child, left };
  }

  it("leaves nothing behind after Ctrl-C", async () => {
    const { child, left } = await upInAChild();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(await left()).toEqual({ containers: [], networks: [] });
  });

  it("leaves nothing behind when the simulator is killed with SIGKILL", async () => {
    const { child, left } = await upInAChild();
    child.kill("SIGKILL");
    // The reaper notices its stdin close and removes everything by label.
    const deadline = Date.now() + 30_000;
    let remaining = await left();
    while (remaining.containers.length + remaining.networks.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      remaining = await left();
    }
    expect(remaining).toEqual({ containers: [], networks: [] });
  });
});

describe.each(["processes", "containers"] as const)("pause and unpause (%s)", (backend) => {
  it("a paused instance answers nothing until it is unpaused; without the pause the checks that see it fail", async () => {
    const summary = await runScenario("scenarios/thrift/pause.yaml", { backend, noReports: true });
    expect(summary.error).toBeUndefined();
    expect(failed(summary)).toEqual([]);

    const scenario = await loadScenario("scenarios/thrift/pause.yaml");
    const unpaused = await runScenario({ ...scenario, steps: scenario.steps.filter((s) => !s.actions.includes("fault")) }, { backend, noReports: true });
    expect(failed(unpaused).sort()).toEqual(["one instance frozen: distribution by instance", "one instance frozen: errors timeout"]);
  }, 90_000);
});

describe("without a container engine", () => {
  it("--backend containers exits 2 with the command that sets one up", () => {
    const env = { ...process.env, PATH: "/nonexistent", DOCKER_HOST: "" };
    const r = spawnSync(process.execPath, ["bin/meshsim.mjs", "run", "scenarios/thrift/traffic-split.yaml", "--backend", "containers"], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toContain("no container engine: run `sudo npx meshsim doctor --fix`");
  });
});
