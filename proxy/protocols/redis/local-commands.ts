/**
 * Commands the proxy answers itself, as a Redis server would: PING, ECHO, TIME, COMMAND,
 * CLIENT, SELECT, READONLY/READWRITE, and the server view a cluster-unaware client expects from
 * HELLO and INFO (one standalone master).
 */
import { arrayHeader, bulkString, errorReply, integerReply, NULL_BULK, OK, PONG, simpleString } from "./resp.ts";

export const SERVER_VERSION = "7.0.0";

export interface LocalState {
  id: number;
  protocol: 2 | 3;
  name: string | undefined;
}

const NULL3 = Buffer.from("_\r\n");

export const BAD_CLIENT_NAME = errorReply("ERR Client names cannot contain spaces, newlines or special characters.");

/** Redis allows only printable ASCII without spaces ('!' to '~') in client names. */
export function isValidClientName(name: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (name[i]! < 33 || name[i]! > 126) return false;
  return true;
}

function nil(protocol: 2 | 3): Buffer {
  return protocol === 3 ? NULL3 : NULL_BULK;
}

/** HELLO's reply: a map in RESP3, a flat array in RESP2. */
export function helloReply(state: LocalState): Buffer {
  const fields: Array<[string, Buffer]> = [
    ["server", bulkString("redis")],
    ["version", bulkString(SERVER_VERSION)],
    ["proto", integerReply(state.protocol)],
    ["id", integerReply(state.id)],
    ["mode", bulkString("standalone")],
    ["role", bulkString("master")],
    ["modules", arrayHeader(0)],
  ];
  const head = state.protocol === 3 ? Buffer.from(`%${fields.length}\r\n`) : arrayHeader(fields.length * 2);
  return Buffer.concat([head, ...fields.flatMap(([k, v]) => [bulkString(k), v])]);
}

/** INFO as a standalone server: enough for clients' ready checks (`loading:0`). */
export function infoReply(): Buffer {
  const text = ["# Server", `redis_version:${SERVER_VERSION}`, "redis_mode:standalone", "meshsim_proxy:1", "", "# Persistence", "loading:0", "", "# Replication", "role:master", ""].join("\r\n");
  return bulkString(text);
}

/** Replies for the simple local commands; undefined for the ones the connection handles itself. */
export function localReply(name: string, args: Buffer[], state: LocalState): Buffer | undefined {
  switch (name) {
    case "ping":
      if (args.length > 1) return errorReply("ERR wrong number of arguments for 'ping' command");
      return args.length === 1 ? bulkString(args[0]!) : PONG;
    case "echo":
      return args.length === 1 ? bulkString(args[0]!) : errorReply("ERR wrong number of arguments for 'echo' command");
    case "time": {
      const now = Date.now();
      return Buffer.concat([arrayHeader(2), bulkString(String(Math.floor(now / 1000))), bulkString(String((now % 1000) * 1000))]);
    }
    case "select":
      if (args.length !== 1) return errorReply("ERR wrong number of arguments for 'select' command");
      return args[0]!.toString() === "0" ? OK : errorReply("ERR DB index is out of range");
    case "readonly":
    case "readwrite":
      return OK;
    case "info":
      return infoReply();
    case "command": {
      const sub = args[0]?.toString().toLowerCase();
      if (sub === "count") return integerReply(0);
      if (sub === "docs") return state.protocol === 3 ? Buffer.from("%0\r\n") : arrayHeader(0);
      return arrayHeader(0);
    }
    case "client": {
      const sub = args[0]?.toString().toLowerCase();
      switch (sub) {
        case "setname":
          if (args.length !== 2) return errorReply("ERR wrong number of arguments for 'client|setname' command");
          if (!isValidClientName(args[1]!)) return BAD_CLIENT_NAME;
          // An empty name clears it, as in Redis.
          state.name = args[1]!.length === 0 ? undefined : args[1]!.toString();
          return OK;
        case "getname":
          return state.name === undefined ? nil(state.protocol) : bulkString(state.name);
        case "id":
          return integerReply(state.id);
        case "setinfo":
          return OK;
        case "info":
          return bulkString(`id=${state.id} name=${state.name ?? ""} resp=${state.protocol}\n`);
        default:
          return errorReply(`ERR unsupported CLIENT subcommand '${sub ?? ""}'`);
      }
    }
    default:
      return undefined;
  }
}

export const RESET_REPLY = simpleString("RESET");
