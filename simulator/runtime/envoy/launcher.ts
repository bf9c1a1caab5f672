/**
 * Runs one Envoy as a meshsim child process: starts the binary with a bootstrap, waits until
 * Envoy's admin `/ready` answers LIVE (it has its first clusters and listeners), then prints the
 * ready line with the admin port and Envoy's PID. Envoy's output goes to stderr (the sidecar's
 * log). When our stdin closes or a signal arrives, Envoy is stopped by its PID, so an Envoy never
 * outlives the simulator.
 *
 * usage: launcher.ts --envoy <path> --bootstrap-json <json> [--concurrency N] [--log-level L]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { announceReady, exitWithParent, parseFlags } from "../../../common/child-process-protocol.ts";
import { envoyArgs } from "./args.ts";

const { flags } = parseFlags(process.argv.slice(2));
const envoy = flags.envoy;
const bootstrap = flags["bootstrap-json"];
if (!envoy || !bootstrap) {
  process.stderr.write("usage: launcher.ts --envoy <path> --bootstrap-json <json> [--concurrency N] [--log-level L]\n");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "meshsim-envoy-"));
const adminPath = join(dir, "admin-address");
const child = spawn(envoy, [...envoyArgs({ bootstrap, concurrency: flags.concurrency ?? "1", logLevel: flags["log-level"] ?? "warn" }), "--admin-address-path", adminPath], {
  stdio: ["ignore", "pipe", "pipe"],
});
child.stdout.pipe(process.stderr);
child.stderr.pipe(process.stderr);
child.on("exit", (code, signal) => {
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`envoy exited (${signal ?? code})\n`);
  process.exit(code ?? 1);
});

exitWithParent(
  () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
);

/** Polls until Envoy wrote its admin address and reports LIVE. */
async function waitLive(): Promise<number> {
  for (;;) {
    let address: string | undefined;
    try {
      address = readFileSync(adminPath, "utf8").trim();
    } catch {
      /* not written yet */
    }
    if (address) {
      const port = Number(address.slice(address.lastIndexOf(":") + 1));
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ready`);
        if (res.ok) return port;
        await res.body?.cancel();
      } catch {
        /* admin not serving yet */
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Also on exitWithParent's forced exit: Envoy never outlives this process when it can help it,
// and `pids` tells the supervisor to kill Envoy should this process be killed outright.
process.on("exit", () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

const adminPort = await waitLive();
announceReady({ adminPort, envoyPid: child.pid, pids: [child.pid] });
