/**
 * Writes scenario.schema.json next to this file, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=../../simulator/scenario/scenario.schema.json`).
 * Run: node --import tsx simulator/scenario/write-schema.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SCENARIO_SCHEMA } from "./schema/index.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("./scenario.schema.json", import.meta.url));

export function renderSchemaJson(): string {
  return `${JSON.stringify(SCENARIO_SCHEMA, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, renderSchemaJson());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
