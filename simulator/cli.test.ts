import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function meshsim(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/meshsim.mjs", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("meshsim CLI", () => {
  it("validates the shipped scenarios", () => {
    const r = meshsim("validate", "scenarios/thrift");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/file\(s\) valid/);
  });

  it("rejects an unknown subset with exit 2, file:line and the field path", () => {
    const r = meshsim("validate", "simulator/testdata/unknown-subset.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/simulator\/testdata\/unknown-subset\.yaml:20:\d+: MetaRouter\/hello spec\.routes\[0\]\.route\[0\]\.destination\.subset: .*v9/);
  });

  it("rejects a bad field value with exit 2 before starting anything", () => {
    const r = meshsim("run", "simulator/testdata/bad-field.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad-field\.yaml:14:\d+: .*steps\[0\]\.traffic\.executor\.rate/);
  });

  it("names a missing file", () => {
    const r = meshsim("run", "no/such/scenario.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no\/such\/scenario\.yaml: no such file/);
  });
});
