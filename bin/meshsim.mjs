#!/usr/bin/env node
// In a checkout meshsim runs its TypeScript sources through tsx; the published package runs the
// JavaScript that `npm run build` wrote to dist/ with plain Node.
import { existsSync } from "node:fs";

const source = new URL("../simulator/cli.ts", import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/simulator/cli.js"));
}
process.exitCode = await main(process.argv.slice(2));
