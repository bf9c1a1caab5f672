import { describe, expect, it } from "vitest";
import { RouteTable } from "./route-table.ts";
import type { RouteConfig } from "../config/types.ts";

const md = (o: Record<string, string>) => new Map(Object.entries(o));

const config: RouteConfig = {
  name: "hello.default.svc.cluster.local_9090",
  routes: [
    { name: "exact", match: [{ name: "method", kind: "exact", value: "getUser" }], action: { kind: "cluster", cluster: "c-exact" } },
    { name: "prefix", match: [{ name: "method", kind: "prefix", value: "get" }], action: { kind: "cluster", cluster: "c-prefix" } },
    { name: "regex", match: [{ name: "method", kind: "regex", value: "list[A-Z].*" }], action: { kind: "cluster", cluster: "c-regex" } },
    { name: "present", match: [{ name: "x-user", kind: "present" }], action: { kind: "cluster", cluster: "c-present" } },
    {
      name: "two",
      match: [
        { name: "method", kind: "exact", value: "sayHello" },
        { name: "env", kind: "exact", value: "canary" },
      ],
      action: { kind: "cluster", cluster: "c-two" },
    },
  ],
};

describe("RouteTable", () => {
  const table = new RouteTable(config);

  it("tries routes in order and picks the first match", () => {
    expect(table.select(md({ method: "getUser" }))?.cluster).toBe("c-exact");
    expect(table.select(md({ method: "getOrder" }))?.cluster).toBe("c-prefix");
  });

  it("matches a regex against the whole value", () => {
    expect(table.select(md({ method: "listUsers" }))?.cluster).toBe("c-regex");
    expect(table.select(md({ method: "xlistUsers" }))).toBeUndefined();
  });

  it("matches presence regardless of value, and requires every matcher", () => {
    expect(table.select(md({ method: "zzz", "x-user": "" }))?.cluster).toBe("c-present");
    expect(table.select(md({ method: "sayHello" }))).toBeUndefined();
    expect(table.select(md({ method: "sayHello", env: "canary" }))?.cluster).toBe("c-two");
  });

  it("splits by weight", () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const split = new RouteTable(
      {
        name: "s",
        routes: [
          {
            name: "w",
            match: [],
            action: {
              kind: "weighted",
              clusters: [
                { name: "v1", weight: 20 },
                { name: "v2", weight: 80 },
                { name: "v3", weight: 0 },
              ],
            },
          },
        ],
      },
      random,
    );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10000; i++) {
      const c = split.select(md({}))!.cluster;
      counts[c] = (counts[c] ?? 0) + 1;
    }
    expect(counts.v3).toBeUndefined();
    expect(counts.v1! / 10000).toBeGreaterThan(0.18);
    expect(counts.v1! / 10000).toBeLessThan(0.22);
  });

  it("rejects an invalid regex at construction", () => {
    expect(() => new RouteTable({ name: "bad", routes: [{ name: "r", match: [{ name: "method", kind: "regex", value: "(" }], action: { kind: "cluster", cluster: "c" } }] })).toThrow(/invalid regex/);
  });

  it("reports each route tried up to the match, with every matcher's result", () => {
    const trials = table.trials(md({ method: "sayHello", env: "prod" }));
    expect(trials.map((t) => [t.route.name, t.matched, t.matchers.map((m) => m.held)])).toEqual([
      ["exact", false, [false]],
      ["prefix", false, [false]],
      ["regex", false, [false]],
      ["present", false, [false]],
      // One of two conditions holding is not a match.
      ["two", false, [true, false]],
    ]);
    const hit = table.trials(md({ method: "getOrder" }));
    expect(hit.map((t) => [t.route.name, t.matched])).toEqual([
      ["exact", false],
      ["prefix", true],
    ]);
  });
});
