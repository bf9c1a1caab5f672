/**
 * A TCP proxy on 127.0.0.1 that forwards to one target and misbehaves on demand: latency with
 * jitter, resets, blackholes, a bandwidth cap and slicing, each with a probability. Faults are
 * switched at run time (`setFault`) and apply to connections already open.
 *
 * Decisions: latency, reset and slice are drawn per chunk read from either side (a chunk is
 * usually one protocol message); blackhole and bandwidth are drawn per connection, once per
 * `setFault`, because dropping or throttling part of a framed stream would only desynchronise it.
 * Bytes leave in the order they arrived on each direction whatever the drawn delays.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { NetworkFault } from "../scenario/types.ts";

export interface FaultProxyStats {
  connections: number;
  resets: number;
  blackholed: number;
  delayedChunks: number;
  slicedChunks: number;
}

export interface FaultProxy {
  readonly port: number;
  readonly target: { host: string; port: number };
  /** Replaces the active fault; null forwards cleanly again. */
  setFault(fault: NetworkFault | null): void;
  readonly fault: NetworkFault | null;
  readonly stats: FaultProxyStats;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Uniform [0, 1); injectable so tests are deterministic. */
  random?: () => number;
  /** Listen on this port (default 0: any free port). */
  port?: number;
}

const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export async function startFaultProxy(target: { host: string; port: number }, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const random = options.random ?? Math.random;
  let fault: NetworkFault | null = null;
  let generation = 0;
  const stats: FaultProxyStats = { connections: 0, resets: 0, blackholed: 0, delayedChunks: 0, slicedChunks: 0 };
  const sockets = new Set<Socket>();

  const server: Server = createServer((down) => {
    stats.connections++;
    const up = connect({ host: target.host, port: target.port });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.setNoDelay(true);
    }
    const conn = { generation: -1, blackholed: false, bandwidth: undefined as number | undefined, dead: false };
    const decide = () => {
      if (conn.generation === generation) return;
      conn.generation = generation;
      conn.blackholed = Boolean(fault?.blackhole && random() < fault.blackhole.probability);
      if (conn.blackholed) stats.blackholed++;
      conn.bandwidth = fault?.bandwidth && random() < fault.bandwidth.probability ? fault.bandwidth.bytesPerSecond : undefined;
    };
    const resetBoth = () => {
      if (conn.dead) return;
      conn.dead = true;
      stats.resets++;
      down.resetAndDestroy();
      up.resetAndDestroy();
    };
    const pipe = (src: Socket, dst: Socket) => {
      const queue: Array<{ at: number; data: Buffer }> = [];
      let queuedBytes = 0;
      let lastAt = 0;
      let bandwidthFreeAt = 0;
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      const write = (data: Buffer) => {
        if (dst.destroyed) return;
        if (!dst.write(data)) {
          src.pause();
          dst.once("drain", () => src.resume());
        }
      };
      const flush = () => {
        timer = undefined;
        const now = performance.now();
        while (queue.length > 0 && queue[0]!.at <= now) {
          const { data } = queue.shift()!;
          queuedBytes -= data.length;
          write(data);
        }
        if (queuedBytes < HIGH_WATER_BYTES && src.isPaused() && !dst.writableNeedDrain) src.resume();
        if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - now));
        else if (ended && !dst.destroyed) dst.end();
      };
      src.on("data", (chunk: Buffer) => {
        if (conn.dead) return;
        decide();
        const f = fault;
        if (conn.blackholed) return;
        if (f?.reset && random() < f.reset.probability) return resetBoth();
        const now = performance.now();
        let delay = 0;
        if (f?.latency && random() < f.latency.probability) {
          delay = Math.max(0, f.latency.delayMs + f.latency.jitterMs * (2 * random() - 1));
          stats.delayedChunks++;
        }
        let pieces: Buffer[] = [chunk];
        let pieceDelay = 0;
        if (f?.slice && chunk.length > f.slice.bytes && random() < f.slice.probability) {
          pieces = [];
          for (let i = 0; i < chunk.length; i += f.slice.bytes) pieces.push(chunk.subarray(i, i + f.slice.bytes));
          pieceDelay = f.slice.delayMs;
          stats.slicedChunks++;
        }
        if (delay === 0 && pieceDelay === 0 && conn.bandwidth === undefined && queue.length === 0 && pieces.length === 1) {
          write(chunk);
          return;
        }
        const bandwidth = conn.bandwidth;
        if (bandwidth !== undefined) {
          // A piece leaves when its last byte would have crossed the capped link; pieces of ~50 ms keep it smooth.
          const most = Math.max(64, Math.floor(bandwidth / 20));
          pieces = pieces.flatMap((p) => (p.length <= most ? [p] : Array.from({ length: Math.ceil(p.length / most) }, (_, i) => p.subarray(i * most, (i + 1) * most))));
        }
        pieces.forEach((data, k) => {
          let at = Math.max(now + delay + k * pieceDelay, lastAt);
          if (bandwidth !== undefined) {
            at = Math.max(at, bandwidthFreeAt) + (data.length / bandwidth) * 1000;
            bandwidthFreeAt = at;
          }
          lastAt = at;
          queue.push({ at, data });
          queuedBytes += data.length;
        });
        if (queuedBytes >= HIGH_WATER_BYTES) src.pause();
        if (timer === undefined) flush();
      });
      src.on("end", () => {
        ended = true;
        if (queue.length === 0 && !dst.destroyed) dst.end();
      });
      src.on("error", (err: NodeJS.ErrnoException) => {
        // Pass a reset on as a reset; anything else (refused, ...) closes the other side.
        if (conn.dead) return;
        conn.dead = true;
        if (err.code === "ECONNRESET" || err.code === "ECONNREFUSED") dst.resetAndDestroy();
        else dst.destroy();
      });
      src.on("close", () => {
        if (timer) clearTimeout(timer);
        if (queue.length === 0 || conn.dead) {
          if (!ended && !dst.destroyed) dst.destroy();
        }
      });
    };
    pipe(down, up);
    pipe(up, down);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    target,
    stats,
    get fault() {
      return fault;
    },
    setFault(next) {
      fault = next;
      generation++;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
