import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { MeshsimError } from "../../common/errors.ts";
import { killOnExit, killWithChild, stopChild, stopGrandchildren } from "../../common/child-processes.ts";

export interface ManagedProcess {
  name: string;
  pid: number;
  /** The JSON object of the child's ready line. */
  ready: Record<string, unknown>;
  child: ChildProcess;
  /** Last lines of output, for error messages. */
  tail(): string;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/**
 * Starts child processes, waits for their ready line, keeps their output in log files, and
 * stops them by PID. Children also exit on their own when our end of their stdin closes.
 */
export class ProcessSupervisor {
  private readonly processes = new Map<string, ManagedProcess>();

  constructor(private readonly logDir?: string) {
    if (logDir) mkdirSync(logDir, { recursive: true });
  }

  async start(spec: SpawnSpec): Promise<ManagedProcess> {
    const child = spawn(spec.command, spec.args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...spec.env },
    });
    killOnExit(child);
    const log: WriteStream | undefined = this.logDir ? createWriteStream(join(this.logDir, `${spec.name}.log`)) : undefined;
    const lines: string[] = [];
    const remember = (text: string) => {
      for (const line of text.split("\n")) if (line) lines.push(line);
      if (lines.length > 40) lines.splice(0, lines.length - 40);
    };
    child.stderr!.on("data", (d: Buffer) => {
      log?.write(d);
      remember(d.toString());
    });
    child.on("exit", () => {
      log?.end();
    });
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buffered = "";
      const timer = setTimeout(() => {
        reject(new MeshsimError("STARTUP_FAILED", `${spec.name} did not report ready within ${spec.readyTimeoutMs ?? 20000} ms\n${lines.join("\n")}`));
      }, spec.readyTimeoutMs ?? 20000);
      const onData = (d: Buffer) => {
        log?.write(d);
        remember(d.toString());
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.startsWith("{")) continue;
          try {
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (parsed.ready === true) {
              clearTimeout(timer);
              child.stdout!.off("data", onData);
              child.stdout!.on("data", (more: Buffer) => log?.write(more));
              resolve(parsed);
              return;
            }
          } catch {
            /* not our line */
          }
        }
      };
      child.stdout!.on("data", onData);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new MeshsimError("STARTUP_FAILED", `${spec.name}: cannot start ${spec.command}: ${err.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new MeshsimError("STARTUP_FAILED", `${spec.name} exited before it was ready (code ${code}, signal ${signal})\n${lines.join("\n")}`));
      });
    }).catch(async (err) => {
      await stopChild(child);
      throw err;
    });
    // A child may announce processes it started for us (a launcher's Envoy): they die with it.
    const pids = Array.isArray(ready.pids) ? ready.pids.filter((p): p is number => typeof p === "number") : [];
    killWithChild(pids);
    child.once("exit", () => stopGrandchildren(pids));
    const managed: ManagedProcess = { name: spec.name, pid: child.pid!, ready, child, tail: () => lines.join("\n") };
    this.processes.set(spec.name, managed);
    return managed;
  }

  get(name: string): ManagedProcess | undefined {
    return this.processes.get(name);
  }

  /** Stops one process by PID: SIGTERM with a grace period, or SIGKILL at once (a crash). */
  async stop(name: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const p = this.processes.get(name);
    if (!p) return;
    this.processes.delete(name);
    await stopChild(p.child, signal === "SIGKILL" ? 0 : 3000, signal);
  }

  /** Stops `name` if it runs, then starts `spec` under the same name. */
  async restart(spec: SpawnSpec): Promise<ManagedProcess> {
    await this.stop(spec.name);
    return this.start(spec);
  }

  async stopAll(): Promise<void> {
    const names = [...this.processes.keys()].reverse();
    await Promise.all(names.map((n) => this.stop(n)));
  }
}
