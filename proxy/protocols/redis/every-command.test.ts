/**
 * No command leaves a connection silent: every command in the proxy's table is sent on its own
 * connection, one at a time as redis-cli does, and must get a whole reply — alone, and again
 * queued inside MULTI, where EXEC must answer one result per queued command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisProcess } from "../../../fixtures/redis/redis-server.ts";
import { commandInfo, knownCommands, type CommandInfo } from "./commands.ts";
import { OneAtATime } from "./testing/one-at-a-time.ts";
import { startRedisMesh, type RedisMesh } from "./testing/redis-mesh.ts";

let server: RedisProcess;
let mesh: RedisMesh;

beforeAll(async () => {
  server = await startRedis();
  mesh = await startRedisMesh([{ name: "single", endpoints: [{ host: server.host, port: server.port }] }], { catchAll: { cluster: "single", mirrors: [] } });
});

afterAll(async () => {
  await mesh?.close();
  await server?.stop();
});

/** Arguments where the generic ones would block for long or say nothing useful. */
const ARGUMENTS: Record<string, string[]> = {
  blpop: ["ec:list", "0.05"],
  brpop: ["ec:list", "0.05"],
  bzpopmin: ["ec:zset", "0.05"],
  bzpopmax: ["ec:zset", "0.05"],
  brpoplpush: ["ec:list", "ec:list2", "0.05"],
  blmove: ["ec:list", "ec:list2", "LEFT", "RIGHT", "0.05"],
  blmpop: ["0.05", "1", "ec:list", "LEFT"],
  bzmpop: ["0.05", "1", "ec:zset", "MIN"],
  lmpop: ["1", "ec:list", "LEFT"],
  zmpop: ["1", "ec:zset", "MIN"],
  eval: ["return 1", "1", "ec:k"],
  eval_ro: ["return 1", "1", "ec:k"],
  xread: ["STREAMS", "ec:stream", "0"],
  xreadgroup: ["GROUP", "g", "c", "STREAMS", "ec:stream", ">"],
  set: ["ec:k", "v"],
  mset: ["ec:a", "1", "ec:b", "2"],
  watch: ["ec:k"],
};

/** The command's own arguments, else a key (or numkeys and a key) padded to its least argument count. */
function argumentsFor(info: CommandInfo): string[] {
  const own = ARGUMENTS[info.name];
  if (own !== undefined) return [info.name, ...own];
  const args = [info.name];
  if (info.kind === "numkeys") {
    while (args.length < info.firstKey) args.push("x");
    args.push("1", "ec:k");
  } else if (info.kind === "key" || info.kind === "split" || info.kind === "transaction") args.push("ec:k");
  while (args.length < info.minArgs) args.push("1");
  return args;
}

/** Commands whose effect on the connection is the point (tested on their own elsewhere). */
const CONNECTION_STATE = new Set(["multi", "exec", "discard", "watch", "quit", "reset"]);

const COMMANDS = knownCommands().map((name) => commandInfo(name)!);

describe("every command the proxy knows gets a reply", () => {
  it("lists the commands it checks", () => {
    expect(COMMANDS.length).toBeGreaterThan(200);
  });

  it("answers each command sent alone, waiting for each reply", async () => {
    const silent: string[] = [];
    for (const info of COMMANDS) {
      const c = await OneAtATime.open(mesh.port);
      try {
        const reply = await c.send(argumentsFor(info));
        if (info.kind === "unsupported") expect(reply, info.name).toBe(`-ERR unsupported command '${info.name}'\r\n`);
        if (info.name === "quit") {
          expect(reply).toBe("+OK\r\n");
          await c.closedWithin();
        }
      } catch (err) {
        silent.push((err as Error).message);
      } finally {
        c.close();
      }
    }
    expect(silent).toEqual([]);
  });

  it("answers each command queued in MULTI, and EXEC has one result per queued command", async () => {
    const wrong: string[] = [];
    for (const info of COMMANDS) {
      if (CONNECTION_STATE.has(info.name)) continue;
      const c = await OneAtATime.open(mesh.port);
      try {
        const args = argumentsFor(info);
        expect(await c.send(["MULTI"])).toBe("+OK\r\n");
        const queued = await c.send(args);
        const exec = await c.send(["EXEC"]);
        if (queued === "+QUEUED\r\n") {
          if (!exec.startsWith("*1\r\n")) wrong.push(`${args.join(" ")}: QUEUED, then EXEC answered ${JSON.stringify(exec.slice(0, 60))}`);
        } else if (!queued.startsWith("-")) wrong.push(`${args.join(" ")}: queued as ${JSON.stringify(queued)}`);
        else if (!exec.startsWith("-EXECABORT")) wrong.push(`${args.join(" ")}: refused, then EXEC answered ${JSON.stringify(exec.slice(0, 60))}`);
      } catch (err) {
        wrong.push((err as Error).message);
      } finally {
        c.close();
      }
    }
    expect(wrong).toEqual([]);
  });
});
