import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { loadScenario } from "./loader.ts";
import { SCENARIO_SCHEMA } from "./schema/index.ts";
import { renderSchemaJson, SCHEMA_FILE } from "./write-schema.ts";

describe("scenario JSON Schema", () => {
  it("compiles in ajv's strict mode", () => {
    expect(() => new Ajv({ strict: true, allowUnionTypes: true }).compile(SCENARIO_SCHEMA)).not.toThrow();
  });

  it("is committed as scenario.schema.json (regenerate: node --import tsx simulator/scenario/write-schema.ts)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(renderSchemaJson());
  });

  it("accepts the repository's scenarios", async () => {
    const root = fileURLToPath(new URL("../../scenarios", import.meta.url));
    expect(existsSync(root), `${root} is missing`).toBe(true);
    const files = readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(root, f))
      .filter((f) => /^kind:\s*Scenario\s*$/m.test(readFileSync(f, "utf8")));
    // Every protocol ships scenarios; an empty or misread folder must not pass.
    for (const protocol of ["thrift", "dubbo", "redis", "kafka"]) expect(files.filter((f) => f.includes(`/${protocol}/`)).length, protocol).toBeGreaterThan(2);
    for (const file of files) await expect(loadScenario(file)).resolves.toMatchObject({ kind: "Scenario" });
  });
});
