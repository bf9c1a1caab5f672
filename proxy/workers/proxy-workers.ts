import cluster, { type Worker } from "node:cluster";
import type { AdminView } from "../admin/admin-view.ts";
import type { ConfigSink } from "../config/config-sink.ts";
import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "../config/types.ts";
import type { ConfigUpdate, PrimaryMessage, WorkerMessage } from "./worker-messages.ts";

type Question = Extract<PrimaryMessage, { type: "ask" }>["what"];

interface Waiting {
  remaining: number;
  values: unknown[];
  errors: string[];
  settle(values: unknown[], errors: string[]): void;
}

/**
 * The primary of a proxy started with `--concurrency N` (as Envoy's worker threads): it forks N
 * workers running this same program, each a whole Proxy, and is their ConfigSink — an xDS update
 * is applied by every worker and ACKed only when all took it (any worker's error NACKs it) — and
 * their admin view, which sums their counters. Connections are spread over the workers by
 * node:cluster, which shares each listener's socket. A worker that dies takes the proxy down:
 * a proxy running on fewer workers than asked would measure and behave as something else.
 */
export class ProxyWorkers implements ConfigSink {
  private seq = 0;
  private readonly waiting = new Map<number, Waiting>();
  private closing = false;

  private constructor(
    private readonly workers: Worker[],
    /** The listeners worker 0 bound from the static resources. */
    readonly listeners: Record<string, { host: string; port: number }>,
  ) {
    for (const worker of workers) {
      worker.on("message", (message: WorkerMessage) => this.onMessage(message));
      worker.on("exit", (code, signal) => {
        if (this.closing) return;
        process.stderr.write(`meshsim proxy: worker ${worker.id} exited (${signal ?? `code ${code}`}); stopping\n`);
        process.exit(1);
      });
    }
  }

  /** Forks `count` workers and resolves once each has started (static resources applied). */
  static async start(count: number): Promise<ProxyWorkers> {
    cluster.setupPrimary({ serialization: "advanced" });
    const workers = Array.from({ length: count }, () => cluster.fork());
    const started = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<Record<string, { host: string; port: number }>>((resolve, reject) => {
            const onExit = (code: number) => reject(new Error(`worker ${worker.id} exited with code ${code} before it started`));
            worker.once("exit", onExit);
            worker.on("message", (message: WorkerMessage) => {
              if (message.type !== "started") return;
              worker.off("exit", onExit);
              resolve(message.listeners);
            });
          }),
      ),
    );
    return new ProxyWorkers(workers, started[0] ?? {});
  }

  get size(): number {
    return this.workers.length;
  }

  /** The workers' process ids (announced, so that whoever started the proxy can stop them too). */
  get pids(): number[] {
    return this.workers.map((w) => w.process.pid!).filter((pid) => pid !== undefined);
  }

  setListeners(items: ListenerConfig[]): Promise<void> {
    return this.update({ kind: "listeners", items });
  }

  setClusters(items: ClusterConfig[]): Promise<void> {
    return this.update({ kind: "clusters", items });
  }

  setEndpoints(items: ClusterLoadAssignment[]): Promise<void> {
    return this.update({ kind: "endpoints", items });
  }

  setRoutes(items: RouteConfig[]): Promise<void> {
    return this.update({ kind: "routes", items });
  }

  /** The admin view: counters and gauges summed over the workers, configuration from the first. */
  adminView(): AdminView {
    return {
      ready: async () => (await this.ask("ready")).every(Boolean),
      stats: async () => {
        const perWorker = (await this.ask("stats")) as Array<Record<string, number>>;
        return withWorkerStats(sumStats(perWorker), perWorker);
      },
      prometheus: async () => sumPrometheus((await this.ask("prometheus")) as string[]),
      configDump: async () => ({ ...((await this.ask("configDump"))[0] as object), workers: this.workers.length }),
      listeners: async () => (await this.ask("listeners"))[0] as Record<string, { host: string; port: number }>,
      flushAccessLogs: async () => {
        await this.ask("flushAccessLogs");
      },
    };
  }

  /** Stops the workers (each closes its Proxy when the primary disconnects). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once("exit", () => resolve());
            worker.disconnect();
          }),
      ),
    );
  }

  private async update(update: ConfigUpdate): Promise<void> {
    const { errors } = await this.broadcast((seq) => ({ type: "config", seq, update }));
    // The first worker's reason is every worker's: they all hold the same configuration.
    if (errors.length > 0) throw new Error(errors[0]);
  }

  private async ask(what: Question): Promise<unknown[]> {
    const { values, errors } = await this.broadcast((seq) => ({ type: "ask", seq, what }));
    if (errors.length > 0) throw new Error(errors[0]);
    return values;
  }

  private broadcast(message: (seq: number) => PrimaryMessage): Promise<{ values: unknown[]; errors: string[] }> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, { remaining: this.workers.length, values: [], errors: [], settle: (values, errors) => resolve({ values, errors }) });
      for (const worker of this.workers) worker.send(message(seq));
    });
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type !== "reply") return;
    const waiting = this.waiting.get(message.seq);
    if (waiting === undefined) return;
    if (message.error !== undefined) waiting.errors.push(message.error);
    else waiting.values.push(message.value);
    if (--waiting.remaining > 0) return;
    this.waiting.delete(message.seq);
    waiting.settle(waiting.values, waiting.errors);
  }
}

/** Each stat summed over the workers (counters add up; so do gauges of connections and requests). */
export function sumStats(snapshots: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const snapshot of snapshots) for (const [name, value] of Object.entries(snapshot)) out[name] = (out[name] ?? 0) + value;
  return out;
}

/**
 * Adds each worker's own connection counts, named as Envoy names them with `--concurrency`:
 * `listener.<name>.worker_<i>.downstream_cx_total` and `_active`.
 */
function withWorkerStats(sum: Record<string, number>, perWorker: ReadonlyArray<Record<string, number>>): Record<string, number> {
  perWorker.forEach((snapshot, i) => {
    for (const [name, value] of Object.entries(snapshot)) {
      const m = /^(listener\..+)\.(downstream_cx_total|downstream_cx_active)$/.exec(name);
      if (m) sum[`${m[1]}.worker_${i}.${m[2]}`] = value;
    }
  });
  return sum;
}

/** Prometheus texts merged: each series' samples summed, comments kept once, in first-seen order. */
export function sumPrometheus(texts: ReadonlyArray<string>): string {
  const lines = new Map<string, number | undefined>();
  for (const text of texts) {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("#")) {
        if (!lines.has(line)) lines.set(line, undefined);
        continue;
      }
      const space = line.lastIndexOf(" ");
      const series = line.slice(0, space);
      lines.set(series, (lines.get(series) ?? 0) + Number(line.slice(space + 1)));
    }
  }
  return `${[...lines].map(([key, value]) => (value === undefined ? key : `${key} ${value}`)).join("\n")}\n`;
}
