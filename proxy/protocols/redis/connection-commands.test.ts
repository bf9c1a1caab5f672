/** QUIT, CLIENT SETNAME and HELLO SETNAME as Redis answers them, through the proxy to a real redis-server. */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { redisCli } from "./testing/redis-cli.ts";
import { useSingleServerMesh } from "./testing/single-server-mesh.ts";

const { port, connection } = useSingleServerMesh();

describe("QUIT", () => {
  it("answers +OK and closes the connection", async () => {
    const c = await connection();
    expect(await c.send(["PING"])).toBe("+PONG\r\n");
    expect(await c.send(["QUIT"])).toBe("+OK\r\n");
    await c.closedWithin();
  });

  it("closes only after the replies still owed to earlier commands", async () => {
    const c = await connection();
    c.write(["SET", "q:k", "v"]);
    c.write(["QUIT"]);
    expect(await c.reply("SET")).toBe("+OK\r\n");
    expect(await c.reply("QUIT")).toBe("+OK\r\n");
    await c.closedWithin();
  });

  it("acts at once inside MULTI, as Redis does", async () => {
    const c = await connection();
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    expect(await c.send(["QUIT"])).toBe("+OK\r\n");
    await c.closedWithin();
  });

  it("ends ioredis's connection: quit() resolves and the client ends", async () => {
    const c = new Redis({ host: "127.0.0.1", port: port(), lazyConnect: true });
    await c.connect();
    expect(await c.quit()).toBe("OK");
    await new Promise<void>((resolve) => (c.status === "end" ? resolve() : c.once("end", () => resolve())));
  });
});

describe("protocol errors", () => {
  it("answers a malformed request with an error, then closes, as Redis does", async () => {
    const c = await connection();
    c.writeRaw("*1\r\n$x\r\nPING\r\n");
    expect(await c.reply("a malformed request")).toMatch(/^-ERR Protocol error/);
    await c.closedWithin();
  });
});

describe("client names", () => {
  it("refuses names with spaces or newlines as Redis does, and keeps the old one", async () => {
    const out = await redisCli(port(), ["CLIENT SETNAME good", 'CLIENT SETNAME "a b"', "CLIENT GETNAME"]);
    // redis-cli prints a blank line after an error, the same with redis-server itself.
    expect(out).toBe("OK\nERR Client names cannot contain spaces, newlines or special characters.\n\ngood\n");
    const c = await connection();
    expect(await c.send(["CLIENT", "SETNAME", "line\nbreak"])).toBe("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    expect(await c.send(["HELLO", "2", "SETNAME", "a b"])).toBe("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    expect(await c.send(["CLIENT", "GETNAME"])).toBe("$-1\r\n");
  });

  it("clears the name with an empty one", async () => {
    const c = await connection();
    expect(await c.send(["CLIENT", "SETNAME", "x"])).toBe("+OK\r\n");
    expect(await c.send(["CLIENT", "SETNAME", ""])).toBe("+OK\r\n");
    expect(await c.send(["CLIENT", "GETNAME"])).toBe("$-1\r\n");
  });
});
