import cluster, { type Worker } from "node:cluster";
import type { AdminView } from "../admin/admin-view.ts";
import type { ConfigSink } from "../config/config-sink.ts";
import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "../config/types.ts";
import type { ConfigUpdate, PrimaryMessage, WorkerMessage } from "./worker-messages.ts";

type Question = Extract<PrimaryMessage, { type: "ask" }>["what"];

interface Waiting {
  remaining: number;
  /** Each worker's answer at its index. */
  values: unknown[];
  errors: string[];
  settle(values: unknown[], errors: string[]): void;
}

/** How long a worker may take to start, and to answer the primary. */
const START_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 30_000;

/**
 * The primary of a proxy started with `--concurrency N` (as Envoy's worker threads): it forks N
 * workers running this same program, each a whole Proxy, and is their ConfigSink — an xDS update
 * is applied by every worker and ACKed only when all took it (any worker's error NACKs it) — and
 * their admin view, which sums their counters. Connections are spread over the workers by
 * node:cluster, which shares each listener's socket. Each worker keeps its own counts, so a
 * cluster's circuit breakers, retry budget, outlier detection and local rate limits apply per
 * worker (N workers allow up to N times a limit), unlike Envoy's, which its workers share. A worker that dies takes the proxy down:
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
    workers.forEach((worker, index) => {
      worker.on("message", (message: WorkerMessage) => this.onMessage(index, message));
    });
  }

  /**
   * Forks `count` workers and resolves once each has started (static resources applied);
   * rejects with the first worker's reason when one cannot start, and stops the others.
   */
  static async start(count: number): Promise<ProxyWorkers> {
    cluster.setupPrimary({ serialization: "advanced" });
    const workers = Array.from({ length: count }, () => cluster.fork());
    let instance: ProxyWorkers | undefined;
    let starting = true;
    // A worker that dies takes the proxy down, whenever it happens: a proxy serving on fewer
    // workers than asked would measure and behave as something else.
    for (const worker of workers) {
      // A send to a worker that just died is reported as an error event; its exit is what counts.
      worker.on("error", () => undefined);
      worker.on("exit", (code, signal) => {
        if (starting || instance?.closing) return;
        process.stderr.write(`meshsim proxy: worker ${worker.id} exited (${signal ?? `code ${code}`}); stopping\n`);
        process.exit(1);
      });
    }
    try {
      const started = await Promise.all(workers.map((worker) => startedListeners(worker)));
      instance = new ProxyWorkers(workers, started[0] ?? {});
      starting = false;
      return instance;
    } catch (err) {
      for (const worker of workers) worker.process.kill("SIGKILL");
      throw err;
    }
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

  /** Stops the workers: each closes its Proxy and exits; one that does not within 3 s is killed. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill("SIGKILL"), 3000);
            worker.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            if (worker.isConnected()) worker.send({ type: "shutdown" } satisfies PrimaryMessage);
            else worker.process.kill("SIGTERM");
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
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`a proxy worker did not answer within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      const settle = (values: unknown[], errors: string[]) => {
        clearTimeout(timer);
        resolve({ values, errors });
      };
      this.waiting.set(seq, { remaining: this.workers.length, values: new Array(this.workers.length), errors: [], settle });
      for (const worker of this.workers) worker.send(message(seq));
    });
  }

  private onMessage(index: number, message: WorkerMessage): void {
    if (message.type !== "reply") return;
    const waiting = this.waiting.get(message.seq);
    if (waiting === undefined) return;
    if (message.error !== undefined) waiting.errors.push(message.error);
    else waiting.values[index] = message.value;
    if (--waiting.remaining > 0) return;
    this.waiting.delete(message.seq);
    waiting.settle(waiting.values, waiting.errors);
  }
}

/** Resolves with the listeners a worker bound once it has started; rejects when it cannot start. */
function startedListeners(worker: Worker): Promise<Record<string, { host: string; port: number }>> {
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    const timer = setTimeout(() => reject(new Error(`proxy worker ${worker.id} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onExit = (code: number) => {
      clearTimeout(timer);
      reject(new Error(reason ?? `proxy worker ${worker.id} exited with code ${code} before it started`));
    };
    const onMessage = (message: WorkerMessage) => {
      if (message.type === "failed") reason = message.error;
      if (message.type !== "started") return;
      clearTimeout(timer);
      worker.off("exit", onExit);
      worker.off("message", onMessage);
      resolve(message.listeners);
    };
    worker.once("exit", onExit);
    worker.on("message", onMessage);
  });
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

/**
 * Prometheus texts merged: each series' samples summed, each family (its comments, then its
 * samples, `_bucket`/`_sum`/`_count` included) kept together, in first-seen order.
 */
export function sumPrometheus(texts: ReadonlyArray<string>): string {
  const families = new Map<string, { comments: string[]; samples: Map<string, number> }>();
  const familyOf = (name: string) => {
    let family = families.get(name);
    if (family === undefined) families.set(name, (family = { comments: [], samples: new Map() }));
    return family;
  };
  for (const text of texts) {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("#")) {
        // "# HELP <name> …" and "# TYPE <name> …" belong to <name>'s family.
        const family = familyOf(line.split(" ")[2] ?? "");
        if (!family.comments.includes(line)) family.comments.push(line);
        continue;
      }
      const space = line.lastIndexOf(" ");
      const series = line.slice(0, space);
      const name = /^[^{ ]+/.exec(series)![0];
      const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
      const samples = familyOf(families.has(base) ? base : name).samples;
      samples.set(series, (samples.get(series) ?? 0) + Number(line.slice(space + 1)));
    }
  }
  const out: string[] = [];
  for (const { comments, samples } of families.values()) out.push(...comments, ...[...samples].map(([series, value]) => `${series} ${value}`));
  return `${out.join("\n")}\n`;
}
