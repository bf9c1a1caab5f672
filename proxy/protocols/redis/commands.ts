/**
 * The command table: for each command the proxy knows, how it finds the command's keys and how
 * a proxy in front of many servers must treat it. Commands not listed get
 * `-ERR unknown command`; commands marked unsupported get `-ERR unsupported command`.
 *
 * Kinds:
 * - key:        one routing key at `firstKey` (the rest of the keys, if any, must route with it);
 * - split:      keys at firstKey..(lastKey)..step, split across servers and merged in order
 *               (MGET, DEL, EXISTS, TOUCH, UNLINK: one key each; MSET: key/value pairs);
 * - numkeys:    the argument at `firstKey` counts the keys that follow (EVAL, BLMPOP, ...);
 * - streams:    keys follow the STREAMS word (XREAD, XREADGROUP);
 * - no-key:     forwarded only where a route has a single server (KEYS, FLUSHALL ...);
 * - local:      answered by the proxy (PING, ECHO, AUTH, HELLO, QUIT, SELECT, CLIENT ...);
 * - transaction: MULTI, EXEC, DISCARD, WATCH, UNWATCH (pinned to one upstream connection).
 */

export type CommandKind = "key" | "split" | "numkeys" | "streams" | "no-key" | "local" | "transaction" | "unsupported";

/** How split replies merge: an array in key order, a sum of integers, or +OK when all are OK. */
export type MergeKind = "array" | "sum" | "ok";

export interface CommandInfo {
  /** Lower case. */
  readonly name: string;
  readonly kind: CommandKind;
  /** Reads only (mirrors may skip these; a read policy may send them to replicas). */
  readonly read: boolean;
  /** Blocks the connection until data arrives: sent on a connection of its own. */
  readonly blocking: boolean;
  /** Index of the first key (or of the numkeys argument for "numkeys"). */
  readonly firstKey: number;
  /** Index of the last key; negative counts from the end (-1: the last argument). */
  readonly lastKey: number;
  readonly step: number;
  /** Least argument count, command name included. */
  readonly minArgs: number;
  readonly merge?: MergeKind;
}

function def(names: string, kind: CommandKind, read: boolean, firstKey = 1, lastKey = firstKey, step = 1, minArgs = 2, extra: { blocking?: boolean; merge?: MergeKind } = {}): CommandInfo[] {
  return names
    .trim()
    .split(/\s+/)
    .map((name) => ({ name, kind, read, blocking: extra.blocking ?? false, firstKey, lastKey, step, minArgs, ...(extra.merge && { merge: extra.merge }) }));
}

const TABLE: CommandInfo[] = [
  // One key, reads.
  ...def(
    `get strlen getrange substr ttl pttl type expiretime pexpiretime hget hgetall hkeys hvals hlen hexists hmget hstrlen
    hrandfield hscan lindex llen lrange lpos scard sismember smembers smismember srandmember sscan zcard zcount zlexcount zrange
    zrangebylex zrangebyscore zrank zrevrange zrevrangebylex zrevrangebyscore zrevrank zscore zmscore zrandmember zscan getbit
    bitcount bitpos bitfield_ro dump geodist geohash geopos georadius_ro georadiusbymember_ro geosearch xlen xrange xrevrange
    xpending sort_ro lcs pfcount sdiff sinter sunion sintercard zdiff zinter zunion`,
    "key",
    true,
  ),
  // One key (or several that must live together), writes.
  ...def(
    `set setnx setex psetex getset getdel getex append incr incrby incrbyfloat decr decrby setrange setbit bitfield expire
    expireat pexpire pexpireat persist hset hsetnx hmset hdel hincrby hincrbyfloat lpush lpushx rpush rpushx lpop rpop linsert
    lrem lset ltrim sadd srem spop zadd zincrby zrem zremrangebylex zremrangebyrank zremrangebyscore zpopmin zpopmax pfadd
    geoadd georadius georadiusbymember geosearchstore xadd xdel xtrim xack xclaim xautoclaim xgroup xsetid restore sort rename
    renamenx rpoplpush lmove smove sdiffstore sinterstore sunionstore zrangestore zdiffstore zinterstore zunionstore pfmerge
    msetnx copy`,
    "key",
    false,
  ),
  // Split across servers and merged.
  ...def("mget", "split", true, 1, -1, 1, 2, { merge: "array" }),
  ...def("exists touch", "split", true, 1, -1, 1, 2, { merge: "sum" }),
  ...def("del unlink", "split", false, 1, -1, 1, 2, { merge: "sum" }),
  ...def("mset", "split", false, 1, -1, 2, 3, { merge: "ok" }),
  // Blocking: keys up to the timeout argument.
  ...def("blpop brpop bzpopmin bzpopmax", "key", false, 1, -2, 1, 3, { blocking: true }),
  ...def("brpoplpush blmove", "key", false, 1, 2, 1, 4, { blocking: true }),
  ...def("blmpop bzmpop", "numkeys", false, 2, 0, 1, 4, { blocking: true }),
  ...def("lmpop zmpop", "numkeys", false, 1, 0, 1, 3),
  // Scripts and functions: numkeys at argument 2.
  ...def("eval evalsha fcall", "numkeys", false, 2, 0, 1, 3),
  ...def("eval_ro evalsha_ro fcall_ro", "numkeys", true, 2, 0, 1, 3),
  ...def("xread", "streams", true, 0, 0, 1, 4),
  ...def("xreadgroup", "streams", false, 0, 0, 1, 7),
  // Forwarded only to a single server.
  ...def("keys scan dbsize randomkey", "no-key", true, 0, 0, 1, 1),
  ...def("flushall flushdb publish script", "no-key", false, 0, 0, 1, 1),
  // Answered by the proxy.
  ...def("ping echo quit auth hello select info client command time readonly readwrite reset", "local", true, 0, 0, 1, 1),
  // Transactions.
  ...def("multi exec discard unwatch", "transaction", false, 0, 0, 1, 1),
  ...def("watch", "transaction", true, 1, -1, 1, 2),
  // Known, and refused: they need a server of their own or act on the whole deployment.
  ...def(
    `subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe monitor sync psync replicaof slaveof cluster
    shutdown debug config wait waitaof save bgsave bgrewriteaof lastsave swapdb move migrate object function pubsub acl latency
    slowlog memory module role failover lolwut asking spublish`,
    "unsupported",
    false,
    0,
    0,
    1,
    1,
  ),
];

const BY_NAME = new Map<string, CommandInfo>(TABLE.map((c) => [c.name, c]));

export function commandInfo(lowerName: string): CommandInfo | undefined {
  return BY_NAME.get(lowerName);
}

/** Every command name the table knows, for tests and docs. */
export function knownCommands(): string[] {
  return [...BY_NAME.keys()].sort();
}

/**
 * Argument indexes of a command's keys, given its argument count, or a reason they cannot be
 * found (a wrong argument count, a bad numkeys).
 */
export function keyIndexes(info: CommandInfo, argc: number, numArg: (i: number) => number, isWord?: (i: number, word: string) => boolean): number[] | string {
  if (argc < info.minArgs) return `wrong number of arguments for '${info.name}' command`;
  switch (info.kind) {
    case "key":
    case "split":
    case "transaction": {
      const last = info.lastKey < 0 ? argc + info.lastKey : Math.min(info.lastKey, argc - 1);
      const out: number[] = [];
      for (let i = info.firstKey; i <= last; i += info.step) out.push(i);
      if (info.kind === "split" && info.step === 2 && (argc - 1) % 2 !== 0) return `wrong number of arguments for '${info.name}' command`;
      return out;
    }
    case "numkeys": {
      const n = numArg(info.firstKey);
      if (!Number.isInteger(n) || n < 0) return "numkeys should be greater than 0";
      if (info.firstKey + n >= argc) return "Number of keys can't be greater than number of args";
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(info.firstKey + 1 + i);
      return out;
    }
    case "streams": {
      for (let i = 1; i < argc; i++) {
        if (isWord?.(i, "streams")) {
          const rest = argc - i - 1;
          if (rest === 0 || rest % 2 !== 0) return "Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.";
          const out: number[] = [];
          for (let k = 0; k < rest / 2; k++) out.push(i + 1 + k);
          return out;
        }
      }
      return "syntax error";
    }
    default:
      return [];
  }
}

// Lookup straight from the request bytes, in any letter case, without making a string:
// candidates are bucketed by first letter and length, then compared byte by byte.
interface Candidate {
  readonly info: CommandInfo;
  readonly name: Buffer;
}
// Indexed by first byte * 64 + length: an array, so a lookup costs no hashing.
const BUCKETS: Array<Candidate[] | undefined> = new Array(256 * 64).fill(undefined);
for (const c of TABLE) {
  const key = c.name.charCodeAt(0) * 64 + Math.min(c.name.length, 63);
  (BUCKETS[key] ??= []).push({ info: c, name: Buffer.from(c.name) });
}

export function lookupCommand(b: Buffer, start: number, end: number): CommandInfo | undefined {
  const length = end - start;
  if (length === 0 || length > 63) return undefined;
  let first = b[start]!;
  if (first >= 65 && first <= 90) first += 32;
  const list = BUCKETS[first * 64 + length];
  if (list === undefined) return undefined;
  outer: for (let i = 0; i < list.length; i++) {
    const name = list[i]!.name;
    for (let j = 1; j < length; j++) {
      let c = b[start + j]!;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== name[j]) continue outer;
    }
    return list[i]!.info;
  }
  return undefined;
}
