import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { allocatePort } from "./ports.ts";

const [ephemeralStart, ephemeralEnd] = existsSync("/proc/sys/net/ipv4/ip_local_port_range")
  ? readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
  : [49_152, 65_535];

describe("allocatePort", () => {
  it("hands out distinct ports outside the ephemeral range, where no outgoing connection can take them", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await allocatePort());
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) expect(p < ephemeralStart! || p > ephemeralEnd!).toBe(true);
  });

  it("hands out distinct ports to concurrent callers", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => allocatePort()));
    expect(new Set(ports).size).toBe(20);
  });

  it("skips a port something already listens on", async () => {
    const first = await allocatePort();
    // Hold the next ports of this process's walk; the allocator must step over them.
    const held: Server[] = [];
    for (let p = first + 1; p <= first + 3; p++) {
      const s = createServer();
      await new Promise<void>((resolve) => s.once("error", () => resolve()).listen(p, "127.0.0.1", () => resolve()));
      held.push(s);
    }
    try {
      const next = await allocatePort();
      expect(next).not.toBe(first + 1);
      expect(next).not.toBe(first + 2);
      expect(next).not.toBe(first + 3);
      const s = createServer();
      await new Promise<void>((resolve, reject) => s.once("error", reject).listen(next, "127.0.0.1", () => resolve()));
      await new Promise<void>((resolve) => s.close(() => resolve()));
    } finally {
      await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
  });
});
