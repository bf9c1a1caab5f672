import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { projectPath } from "./runtime/node-command.ts";

interface Check {
  name: string;
  run(): Promise<{ ok: boolean; detail: string; fix?: string }>;
}

const CHECKS: Check[] = [
  {
    name: "Node.js 20 or newer",
    async run() {
      const major = Number(process.versions.node.split(".")[0]);
      return { ok: major >= 20, detail: process.version, fix: "install Node.js 20 (https://nodejs.org or your package manager)" };
    },
  },
  {
    name: "loopback ports can be bound",
    async run() {
      const ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once("error", () => resolve(false));
        s.listen(0, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      return { ok, detail: ok ? "127.0.0.1 ok" : "cannot bind 127.0.0.1" };
    },
  },
  {
    name: "Thrift fixture code generated",
    async run() {
      const ok = existsSync(projectPath("fixtures/thrift/gen-nodejs/Hello.js"));
      return { ok, detail: ok ? "fixtures/thrift/gen-nodejs" : "missing", fix: "bash fixtures/thrift/generate.sh (needs: apt-get install -y thrift-compiler)" };
    },
  },
  {
    name: "envoy ratelimit service built",
    async run() {
      const ok = existsSync(projectPath(".cache/bin/ratelimit"));
      return { ok, detail: ok ? ".cache/bin/ratelimit" : "missing", fix: "bash fixtures/ratelimit/build.sh (needs Go 1.25+ and redis-server)" };
    },
  },
];

/**
 * Checks what scenarios need on this machine. Returns 0 when everything is there, 2 otherwise,
 * printing for each missing piece the exact command that provides it.
 */
export async function runDoctor(_fix: boolean): Promise<number> {
  let missing = 0;
  for (const check of CHECKS) {
    const result = await check.run();
    if (result.ok) process.stdout.write(`✓ ${check.name} (${result.detail})\n`);
    else {
      missing++;
      process.stdout.write(`✗ ${check.name}: ${result.detail}${result.fix ? `\n    fix: ${result.fix}` : ""}\n`);
    }
  }
  return missing === 0 ? 0 : 2;
}
