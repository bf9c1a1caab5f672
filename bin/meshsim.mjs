#!/usr/bin/env node
// meshsim is written in TypeScript and runs through tsx's loader, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../simulator/cli.ts");
process.exitCode = await main(process.argv.slice(2));
