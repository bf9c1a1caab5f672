/**
 * Fail fast with a realistic proxy bug: every Thrift reply comes back under the wrong sequence
 * id, so the client can match none and each call waits out its timeout. Without fail fast,
 * method-routing's closed-loop steps (2 callers, 100 calls each) would wait 50 timeouts apiece,
 * minutes for the scenario; with it the first step stops at its first failure and the scenario
 * ends in seconds, saying which step was aborted and why.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runScenario } from "./runner.ts";

/**
 * A TCP hop between a client and its sidecar that adds 1000 to the sequence id of every framed
 * binary Thrift reply: `[len:4][0x8001:2][type:2][name-len:4][name][seqid:4]...`.
 */
function startSeqidMangler(target: () => { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target());
    sockets.add(client).add(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = Buffer.from(pending.subarray(0, 4 + pending.readInt32BE(0)));
        pending = pending.subarray(frame.length);
        const seqidAt = 4 + 4 + 4 + frame.readInt32BE(8);
        frame.writeInt32BE(frame.readInt32BE(seqidAt) + 1000, seqidAt);
        client.write(frame);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

describe("fail fast", () => {
  const hops: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(hops.splice(0).map((h) => h.close()));
  });

  it("stops a scenario in seconds when every reply carries the wrong request id, and says why", async () => {
    let sidecar: { host: string; port: number } | undefined;
    const hop = await startSeqidMangler(() => sidecar!);
    hops.push(hop);
    const started = Date.now();
    const summary = await runScenario("scenarios/thrift/method-routing.yaml", {
      noReports: true,
      onEvent: (e) => {
        if (e.type !== "topology-up") return;
        // The client dials the mangling hop, which forwards to its sidecar.
        const addressFor = e.topology.addressFor.bind(e.topology);
        sidecar = addressFor("caller", "hello");
        e.topology.addressFor = (client, service) => (client === "caller" && service === "hello" ? { host: "127.0.0.1", port: hop.port } : addressFor(client, service));
      },
    });
    const elapsedMs = Date.now() - started;
    expect(summary.error).toBeUndefined();
    expect(summary.passed).toBe(false);
    const aborted = summary.steps.filter((s) => s.aborted !== undefined);
    expect(aborted.map((s) => s.name)).toEqual(["exact match"]);
    expect(aborted[0]!.aborted).toMatch(/^stopped after \d+ requests: success rate 100% can no longer hold: 1 of at most 100 requests failed \(timeout=1\)$/);
    expect(summary.notRun).toEqual(["prefix match", "regex match", "no route"]);
    const judged = aborted[0]!.expectations.find((e) => e.name === "success rate")!;
    expect(judged.message).toMatch(/\(on the \d+ requests recorded before fail fast stopped the traffic\) — FAIL$/);
    // The step waits out one 5 s call timeout; without fail fast its 100 calls, two at a time,
    // would wait out 50 (250 s). The whole run also includes bringing the topology up and down,
    // which a loaded machine slows, so it gets a looser bound.
    expect(aborted[0]!.durationMs).toBeLessThan(12_000);
    expect(elapsedMs).toBeLessThan(60_000);
  });
});
