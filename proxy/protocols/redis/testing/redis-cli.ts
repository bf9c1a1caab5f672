/** Debian's redis-cli (redis-tools) fed commands on stdin, one line each, as a user would pipe them. */
import { spawn } from "node:child_process";

/** redis-cli's output, or a rejection naming what it printed when it did not finish in time. */
export function redisCli(port: number, lines: string[], timeoutMs = 4000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port)], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-cli did not finish within ${timeoutMs} ms; printed ${JSON.stringify(out)}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(lines.map((l) => `${l}\n`).join(""));
  });
}
