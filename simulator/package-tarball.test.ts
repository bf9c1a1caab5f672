/**
 * The package as users get it: `npm pack`, installed into an empty folder, run with plain Node 20
 * (no tsx in that folder): the CLI answers --help and runs a shipped scenario, and the API is
 * importable by name with its types.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "./runtime/node-command.ts";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let app = "";
let work = "";

const run = promisify(execFile);

/** Runs a command in the app folder (asynchronously: a blocked worker cannot report to vitest). */
async function inApp(command: string, args: string[]): Promise<{ status: number; out: string }> {
  try {
    const r = await run(command, args, { cwd: app, timeout: 120_000, env: { ...process.env, NODE_OPTIONS: "" } });
    return { status: 0, out: `${r.stdout}${r.stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("the packed tarball, installed in an empty folder", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "meshsim-pack-"));
    // prepack builds dist/ first.
    await run(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: projectPath("") });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    await run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent", join(work, tarball)], { cwd: app });
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("holds compiled JavaScript and declarations, no TypeScript sources, and installs no tsx", () => {
    const pkg = join(app, "node_modules/meshsim");
    expect(existsSync(join(pkg, "dist/index.js"))).toBe(true);
    expect(existsSync(join(pkg, "dist/index.d.ts"))).toBe(true);
    expect(existsSync(join(pkg, "simulator/cli.ts"))).toBe(false);
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
  });

  it("npx meshsim --help answers", async () => {
    const help = await inApp("npx", ["meshsim", "--help"]);
    expect(help.out).toContain("usage: meshsim <command>");
    expect(help.status).toBe(0);
  });

  it("npx meshsim codec-test <built-in> runs on the shipped samples", async () => {
    const result = await inApp("npx", ["meshsim", "codec-test", "kafka", "--runs", "10", "--throughput-ms", "0"]);
    expect(result.out).toMatch(/\nPASS: /);
    expect(result.status).toBe(0);
  });

  it("npx meshsim run <shipped scenario> passes with plain node", async () => {
    const result = await inApp("npx", ["meshsim", "run", "node_modules/meshsim/scenarios/thrift/traffic-split.yaml", "--quiet"]);
    expect(result.out).toMatch(/thrift-traffic-split .* PASSED/);
    expect(result.status).toBe(0);
  }, 120_000);

  it('import { runScenario } from "meshsim" works, and the types resolve', async () => {
    writeFileSync(
      join(app, "use.mjs"),
      [
        'import { loadScenario, runScenario } from "meshsim";',
        'const scenario = await loadScenario("node_modules/meshsim/scenarios/thrift/traffic-split.yaml");',
        "const summary = await runScenario(scenario, { noReports: true });",
        "console.log(JSON.stringify({ passed: summary.passed, scenario: summary.scenario.name }));",
      ].join("\n"),
    );
    const use = await inApp(process.execPath, ["use.mjs"]);
    expect(use.out).toContain('{"passed":true,"scenario":"thrift-traffic-split"}');
    // A TypeScript user's view: the declarations resolve through the package's exports.
    writeFileSync(
      join(app, "typed.ts"),
      'import { runScenario, type RunSummary } from "meshsim";\nexport const passed = (s: RunSummary): boolean => s.passed;\nexport const run: typeof runScenario = runScenario;\n',
    );
    const tsc = await inApp(process.execPath, [
      projectPath("node_modules/typescript/bin/tsc"),
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "typed.ts",
    ]);
    expect(tsc.out).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);
});
