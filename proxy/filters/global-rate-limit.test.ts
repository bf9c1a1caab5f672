import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRateLimitService, type RunningRateLimitService } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { allocatePort } from "../../common/ports.ts";
import type { LocalErrorKind } from "../codec/codec.ts";
import type { GlobalRateLimitConfig } from "../config/types.ts";
import { StatsStore } from "../stats/stats.ts";
import type { FilterStatus, RequestContext, RequestFilter } from "./filter.ts";
import { createGlobalRateLimitFilter } from "./global-rate-limit.ts";
import { RateLimitClients } from "./rate-limit-client.ts";

const rateLimitClients = new RateLimitClients();

const DOMAIN = "meshsim-test";
const CLUSTER = "outbound|8081||ratelimit.default.svc.cluster.local";
const PREFIX = "listener.hello_9090";
const LIMIT = 3;

type Outcome = { status: FilterStatus; resumed: boolean; reply?: { kind: LocalErrorKind; text: string } };

/** Just the part of the request context the filter uses; settles once the filter has decided. */
function run(filter: RequestFilter, metadata: Record<string, string>, options: { closeDownstream?: boolean } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { status: "continue", resumed: false };
    const ctx = {
      metadata: new Map(Object.entries(metadata)),
      // Read by the filter when the service has answered: a closed downstream settles then.
      get downstreamClosed() {
        if (options.closeDownstream) setImmediate(() => resolve(outcome));
        return options.closeDownstream ?? false;
      },
      resume() {
        outcome.resumed = true;
        resolve(outcome);
      },
      reply(kind: LocalErrorKind, text: string) {
        outcome.reply = { kind, text };
        resolve(outcome);
      },
    } as unknown as RequestContext;
    outcome.status = filter.onRequest(ctx);
    if (outcome.status === "continue" || outcome.reply) resolve(outcome);
  });
}

function counters(stats: StatsStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ["ok", "over_limit", "error", "failure_mode_allowed", "skipped"]) out[name] = stats.get(`${PREFIX}.global_rate_limit.${name}`);
  return out;
}

function config(overrides: Partial<GlobalRateLimitConfig> = {}): GlobalRateLimitConfig {
  return {
    domain: DOMAIN,
    rateLimitServiceCluster: CLUSTER,
    denyOnFail: false,
    timeoutMs: 2000,
    descriptors: [{ key: "user", property: "x-user" }],
    ...overrides,
  };
}

function filterAt(port: number | undefined, overrides: Partial<GlobalRateLimitConfig> = {}) {
  const stats = new StatsStore();
  const resolve = (name: string) => (name === CLUSTER && port !== undefined ? { host: "127.0.0.1", port } : undefined);
  return { stats, filter: createGlobalRateLimitFilter(config(overrides), { resolve, stats, rateLimitClients, prefix: PREFIX }) };
}

afterAll(() => rateLimitClients.close());

describe("global rate limit against envoyproxy/ratelimit", () => {
  let service: RunningRateLimitService;

  beforeAll(async () => {
    service = await startRateLimitService({
      config: {
        domain: DOMAIN,
        descriptors: [
          // Every value of `user` has its own counter of LIMIT per minute.
          { key: "user", rate_limit: { unit: "minute", requests_per_unit: LIMIT } },
          {
            key: "method",
            value: "sayHello",
            descriptors: [{ key: "user", rate_limit: { unit: "minute", requests_per_unit: LIMIT } }],
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  /**
   * The service counts in fixed windows of wall-clock minutes; a run that straddles a minute
   * boundary sees a fresh counter, so it is tried again (once) with a new value.
   */
  async function inOneWindow(body: (user: string) => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const window = Math.floor(Date.now() / 60_000);
      try {
        await body(`u${Date.now()}-${attempt}`);
        return;
      } catch (err) {
        if (attempt > 0 || Math.floor(Date.now() / 60_000) === window) throw err;
      }
    }
  }

  it("lets the first N requests through, then replies rate_limited; another value is counted apart", async () => {
    await inOneWindow(async (user) => {
      const { filter, stats } = filterAt(service.grpcPort);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < LIMIT + 2; i++) outcomes.push(await run(filter, { "x-user": user }));
      expect(outcomes.map((o) => o.status)).toEqual(Array(LIMIT + 2).fill("stop"));
      expect(outcomes.slice(0, LIMIT).every((o) => o.resumed && !o.reply)).toBe(true);
      for (const o of outcomes.slice(LIMIT)) {
        expect(o.resumed).toBe(false);
        expect(o.reply).toEqual({ kind: "rate_limited", text: `over the global rate limit (domain ${DOMAIN})` });
      }
      const other = await run(filter, { "x-user": `${user}-other` });
      expect(other.resumed).toBe(true);
      expect(counters(stats)).toEqual({ ok: LIMIT + 1, over_limit: 2, error: 0, failure_mode_allowed: 0, skipped: 0 });
    });
  });

  it("sends all entries as one descriptor (nested limits apply per method and user)", async () => {
    await inOneWindow(async (user) => {
      const { filter, stats } = filterAt(service.grpcPort, {
        descriptors: [
          { key: "method", property: "method" },
          { key: "user", property: "x-user" },
        ],
      });
      for (let i = 0; i < LIMIT; i++) expect((await run(filter, { method: "sayHello", "x-user": user })).resumed).toBe(true);
      expect((await run(filter, { method: "sayHello", "x-user": user })).reply?.kind).toBe("rate_limited");
      // No rule for this method: the service answers OK however often it is asked.
      for (let i = 0; i < LIMIT + 1; i++) expect((await run(filter, { method: "sayBye", "x-user": user })).resumed).toBe(true);
      expect(counters(stats)).toMatchObject({ ok: 2 * LIMIT + 1, over_limit: 1 });
    });
  });

  it("skips the check when a descriptor entry has no value, and only checks matching requests", async () => {
    const { filter, stats } = filterAt(service.grpcPort, { match: [{ name: "method", kind: "exact", value: "sayHello" }] });
    const missing = await run(filter, { method: "sayHello" });
    expect(missing).toEqual({ status: "continue", resumed: false });
    const notMatching = await run(filter, { method: "sayBye", "x-user": "anyone" });
    expect(notMatching).toEqual({ status: "continue", resumed: false });
    expect(counters(stats)).toEqual({ ok: 0, over_limit: 0, error: 0, failure_mode_allowed: 0, skipped: 1 });
  });

  it("neither resumes nor replies when the downstream closed while the service answered", async () => {
    await inOneWindow(async (user) => {
      const { filter, stats } = filterAt(service.grpcPort);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < LIMIT + 1; i++) outcomes.push(await run(filter, { "x-user": user }, { closeDownstream: true }));
      expect(outcomes.every((o) => o.status === "stop" && !o.resumed && !o.reply)).toBe(true);
      expect(counters(stats)).toMatchObject({ ok: LIMIT, over_limit: 1 });
    });
  });

  it("counts hitsAddend through the client", async () => {
    const { RateLimitClient } = await import("./rate-limit-client.ts");
    const client = new RateLimitClient(`127.0.0.1:${service.grpcPort}`);
    try {
      await inOneWindow(async (user) => {
        const request = { domain: DOMAIN, descriptors: [{ entries: [{ key: "user", value: user }] }] };
        expect(await client.shouldRateLimit({ ...request, hitsAddend: LIMIT }, 2000)).toBe("OK");
        expect(await client.shouldRateLimit(request, 2000)).toBe("OVER_LIMIT");
      });
    } finally {
      client.close();
    }
  });
});

describe("global rate limit when the service fails", () => {
  it("denies or allows per denyOnFail once the service has stopped", async () => {
    const service = await startRateLimitService({
      config: { domain: DOMAIN, descriptors: [{ key: "user", rate_limit: { unit: "minute", requests_per_unit: 1000 } }] },
    });
    const deny = filterAt(service.grpcPort, { denyOnFail: true });
    const allow = filterAt(service.grpcPort, { denyOnFail: false });
    expect((await run(deny.filter, { "x-user": "a" })).resumed).toBe(true);
    await service.close();

    const denied = await run(deny.filter, { "x-user": "a" });
    expect(denied.status).toBe("stop");
    expect(denied.resumed).toBe(false);
    expect(denied.reply?.kind).toBe("rate_limited");
    expect(denied.reply?.text).toMatch(/^rate-limit service failed \(.+\); request denied$/);
    expect(counters(deny.stats)).toEqual({ ok: 1, over_limit: 0, error: 1, failure_mode_allowed: 0, skipped: 0 });

    const allowed = await run(allow.filter, { "x-user": "a" });
    expect(allowed).toEqual({ status: "stop", resumed: true });
    expect(counters(allow.stats)).toEqual({ ok: 0, over_limit: 0, error: 1, failure_mode_allowed: 1, skipped: 0 });
  });

  it("denies or allows per denyOnFail when nothing listens on the service's port", async () => {
    const port = await allocatePort();
    const deny = filterAt(port, { denyOnFail: true });
    expect((await run(deny.filter, { "x-user": "a" })).reply?.kind).toBe("rate_limited");
    expect(counters(deny.stats)).toMatchObject({ error: 1, failure_mode_allowed: 0 });
    const allow = filterAt(port, { denyOnFail: false });
    expect((await run(allow.filter, { "x-user": "a" })).resumed).toBe(true);
    expect(counters(allow.stats)).toMatchObject({ error: 1, failure_mode_allowed: 1 });
  });

  it("answers without calling anything when the cluster has no endpoint", async () => {
    const deny = filterAt(undefined, { denyOnFail: true });
    const denied = await run(deny.filter, { "x-user": "a" });
    expect(denied.status).toBe("stop");
    expect(denied.reply).toEqual({ kind: "rate_limited", text: `rate-limit service failed (no endpoint for cluster ${CLUSTER}); request denied` });
    const allow = filterAt(undefined, { denyOnFail: false });
    expect(await run(allow.filter, { "x-user": "a" })).toEqual({ status: "continue", resumed: false });
    expect(counters(allow.stats)).toMatchObject({ error: 1, failure_mode_allowed: 1 });
  });

  describe("a service that accepts connections and never answers", () => {
    let stalled: Server;
    const sockets = new Set<Socket>();
    let port = 0;

    beforeAll(async () => {
      stalled = createServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
      port = (stalled.address() as { port: number }).port;
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => stalled.close(resolve));
    });

    for (const denyOnFail of [true, false]) {
      it(`${denyOnFail ? "denies" : "allows"} within the timeout when denyOnFail is ${denyOnFail}`, async () => {
        const timeoutMs = 300;
        const { filter, stats } = filterAt(port, { denyOnFail, timeoutMs });
        const started = performance.now();
        const outcome = await run(filter, { "x-user": "a" });
        const elapsed = performance.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
        expect(elapsed).toBeLessThan(timeoutMs + 1000);
        expect(outcome.status).toBe("stop");
        if (denyOnFail) {
          expect(outcome.reply?.kind).toBe("rate_limited");
          expect(outcome.reply?.text).toMatch(/DEADLINE_EXCEEDED/);
        } else {
          expect(outcome.resumed).toBe(true);
        }
        expect(counters(stats)).toEqual({ ok: 0, over_limit: 0, error: 1, failure_mode_allowed: denyOnFail ? 0 : 1, skipped: 0 });
      });
    }
  });
});
