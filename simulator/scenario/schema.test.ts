import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { loadScenario } from "./loader.ts";
import { SCENARIO_SCHEMA } from "./schema.ts";
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
    if (!existsSync(root)) return;
    const files = readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(root, f))
      .filter((f) => /^kind:\s*Scenario\s*$/m.test(readFileSync(f, "utf8")));
    for (const file of files) await expect(loadScenario(file)).resolves.toMatchObject({ kind: "Scenario" });
  });
});
