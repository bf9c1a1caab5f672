/**
 * The reaper: a small process, detached from the simulator's process group (so Ctrl-C in a
 * terminal does not reach it), that owns the podman API service when meshsim starts one and
 * removes every container, network and volume carrying the session label as soon as the
 * simulator's end of its stdin closes — on a normal exit, a crash, or SIGKILL alike. Ryuk does
 * the same for testcontainers where its image can be pulled.
 *
 *   node reaper.ts --label meshsim.session=<id> (--podman-socket <path> | --docker-host <url>)
 *
 * Prints `{"ready":true,"dockerHost":...}` once the engine answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, rmSync } from "node:fs";
import { announceReady, parseFlags } from "../../../common/child-process-protocol.ts";
import { DockerApi } from "./docker-api.ts";

const { flags } = parseFlags(process.argv.slice(2));
const label = flags.label;
if (!label) {
  process.stderr.write("reaper: --label is required\n");
  process.exit(2);
}

let service: ChildProcess | undefined;
let dockerHost = flags["docker-host"] ?? "";
if (flags["podman-socket"]) {
  rmSync(flags["podman-socket"], { force: true });
  dockerHost = `unix://${flags["podman-socket"]}`;
  // Its chatter (conmon's syslog attempts, closed log streams) goes to a file beside the socket.
  const log = openSync(`${flags["podman-socket"]}.log`, "w");
  service = spawn("podman", ["system", "service", "--time=0", dockerHost], { stdio: ["ignore", "ignore", log] });
  service.once("exit", (code) => {
    if (!stopping) process.stderr.write(`reaper: podman system service exited (code ${code}); see ${flags["podman-socket"]}.log\n`);
  });
}
const api = new DockerApi(dockerHost);

let stopping = false;
async function reap(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Again until a listing comes back empty: a container the simulator asked for just before it
  // died may still be in creation when the first listing is taken.
  for (let round = 0; round < 5; round++) {
    try {
      await api.removeLabelled(label!);
      const left = await api.listLabelled(label!);
      if (left.containers.length + left.networks.length === 0) break;
    } catch (err) {
      process.stderr.write(`reaper: removing ${label}: ${(err as Error).message}\n`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (service?.exitCode === null) {
    const exited = new Promise((resolve) => service!.once("exit", resolve));
    service.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (service.exitCode === null) service.kill("SIGKILL");
  }
  if (flags["podman-socket"]) for (const f of [flags["podman-socket"], `${flags["podman-socket"]}.log`]) rmSync(f, { force: true });
  process.exit(0);
}
process.stdin.on("end", reap);
process.stdin.on("close", reap);
process.stdin.on("error", reap);
process.stdin.resume();
process.on("SIGTERM", reap);
process.on("SIGINT", reap);

const deadline = Date.now() + 30_000;
while (!(await api.ping())) {
  if (Date.now() > deadline || service?.exitCode != null) {
    process.stderr.write(`reaper: the engine at ${dockerHost} did not answer within 30 s\n`);
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 100));
}
announceReady({ dockerHost });
