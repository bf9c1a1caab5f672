/**
 * A real Prometheus (Debian's `prometheus` package) scraping every sidecar's admin
 * `/stats/prometheus` once a second, for `meshsim up --prometheus`: bound to 127.0.0.1, its
 * configuration and storage in a temporary directory removed when it stops, stopped by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshsimError } from "../../common/errors.ts";
import { killOnExit, stopChild } from "../../common/child-processes.ts";
import { allocatePort } from "../../common/ports.ts";
import { onPath } from "./environment.ts";

export interface ScrapeTarget {
  /** The client whose sidecar this is: the `sidecar` label on every series scraped from it. */
  client: string;
  adminPort: number;
}

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:9091 — the UI and the HTTP API (`/api/v1/query`). */
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/** The scrape configuration: one job, one target per sidecar. */
export function prometheusConfig(targets: readonly ScrapeTarget[]): string {
  const lines = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s", "scrape_configs:", "  - job_name: meshsim-sidecars", "    metrics_path: /stats/prometheus", "    static_configs:"];
  for (const t of targets) lines.push(`      - targets: ["127.0.0.1:${t.adminPort}"]`, `        labels: {sidecar: "${t.client}"}`);
  return `${lines.join("\n")}\n`;
}

export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<RunningPrometheus> {
  const binary = onPath("prometheus");
  if (binary === undefined) throw new MeshsimError("ENVIRONMENT", "prometheus not found: run `meshsim doctor --fix --prometheus` as root, or apt-get install -y --no-install-recommends prometheus");
  const dir = await mkdtemp(join(tmpdir(), "meshsim-prometheus-"));
  const port = await allocatePort();
  await writeFile(join(dir, "prometheus.yml"), prometheusConfig(targets));
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  killOnExit(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new MeshsimError("STARTUP_FAILED", `prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new MeshsimError("STARTUP_FAILED", `prometheus did not become ready within ${READY_TIMEOUT_MS} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
