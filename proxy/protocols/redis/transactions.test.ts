/**
 * MULTI/EXEC as clients that wait for each reply send them (redis-cli, a raw socket), and
 * transactions holding commands the proxy answers itself, against one real redis-server.
 */
import { describe, expect, it } from "vitest";
import { redisCli } from "./testing/redis-cli.ts";
import { useSingleServerMesh } from "./testing/single-server-mesh.ts";

const { port, connection } = useSingleServerMesh();

describe("transactions with clients that wait for each reply", () => {
  it("answers MULTI on its own, so redis-cli can send the rest", async () => {
    const out = await redisCli(port(), ["MULTI", "SET user:k 1", "EXEC", "GET user:k"]);
    // Piped, redis-cli prints one line per element, without numbering.
    expect(out).toBe("OK\nQUEUED\nOK\n1\n");
  });

  it("answers MULTI before the first key over a raw socket", async () => {
    const c = await connection();
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    expect(await c.send(["INCR", "tx:n"])).toBe("+QUEUED\r\n");
    expect(await c.send(["EXEC"])).toBe("*1\r\n:1\r\n");
  });

  it("runs a transaction of key-less commands, one result per command", async () => {
    const c = await connection();
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    expect(await c.send(["PING"])).toBe("+QUEUED\r\n");
    expect(await c.send(["ECHO", "hi"])).toBe("+QUEUED\r\n");
    expect(await c.send(["TIME"])).toBe("+QUEUED\r\n");
    const exec = await c.send(["EXEC"]);
    expect(exec).toMatch(/^\*3\r\n\+PONG\r\n\$2\r\nhi\r\n\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$/);
  });

  it("puts the proxy's own replies in their places in the server's EXEC array", async () => {
    const c = await connection();
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    for (const cmd of [["PING"], ["SET", "tx:m", "v"], ["CLIENT", "SETNAME", "in-tx"], ["GET", "tx:m"], ["ECHO", "last"]]) expect(await c.send(cmd)).toBe("+QUEUED\r\n");
    expect(await c.send(["EXEC"])).toBe("*5\r\n+PONG\r\n+OK\r\n+OK\r\n$1\r\nv\r\n$4\r\nlast\r\n");
    // The queued CLIENT SETNAME took effect at EXEC.
    expect(await c.send(["CLIENT", "GETNAME"])).toBe("$5\r\nin-tx\r\n");
  });

  it("with redis-cli: MULTI, PING, TIME, EXEC prints both results", async () => {
    const out = await redisCli(port(), ["MULTI", "PING", "TIME", "EXEC"]);
    expect(out).toMatch(/^OK\nQUEUED\nQUEUED\nPONG\n\d+\n\d+\n$/);
  });

  it("DISCARD of a key-less transaction, and EXECABORT after a refused command", async () => {
    const c = await connection();
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    expect(await c.send(["PING"])).toBe("+QUEUED\r\n");
    expect(await c.send(["DISCARD"])).toBe("+OK\r\n");
    expect(await c.send(["MULTI"])).toBe("+OK\r\n");
    expect(await c.send(["NOSUCH"])).toMatch(/^-ERR unknown command/);
    expect(await c.send(["SET", "tx:x", "1"])).toBe("+QUEUED\r\n");
    expect(await c.send(["EXEC"])).toMatch(/^-EXECABORT/);
    expect(await c.send(["GET", "tx:x"])).toBe("$-1\r\n");
  });

  it("keeps WATCH working when MULTI is answered by the proxy", async () => {
    const a = await connection();
    const b = await connection();
    expect(await a.send(["SET", "tx:w", "1"])).toBe("+OK\r\n");
    expect(await a.send(["WATCH", "tx:w"])).toBe("+OK\r\n");
    expect(await b.send(["SET", "tx:w", "2"])).toBe("+OK\r\n");
    expect(await a.send(["MULTI"])).toBe("+OK\r\n");
    expect(await a.send(["PING"])).toBe("+QUEUED\r\n");
    expect(await a.send(["SET", "tx:w", "3"])).toBe("+QUEUED\r\n");
    expect(await a.send(["EXEC"])).toBe("*-1\r\n");
    expect(await a.send(["GET", "tx:w"])).toBe("$1\r\n2\r\n");
  });
});
