/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH through a proxy: a transaction is pinned to one
 * upstream connection, lent to this client alone, on the server of its first key.
 *
 * States: none → watching (WATCH pinned a connection) → in MULTI → none again after EXEC,
 * DISCARD or UNWATCH. Inside MULTI, commands seen before the first key are held (the server is
 * not known yet); a transaction without any key never reaches a server and is answered here.
 */
import type { CommandInfo } from "../protocols/redis/commands.ts";
import { encodeCommand, errorReply, OK, QUEUED } from "../protocols/redis/resp.ts";
import { keysOf, stripPrefixes, unknownCommand } from "./command-args.ts";
import type { RedisDownstream } from "./downstream.ts";
import { CROSSSLOT } from "./keyed-command.ts";
import type { Pending } from "./pending.ts";
import { resolveRoute } from "./resolve-route.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";
import type { RedisUpstreamConnection } from "./upstream-connection.ts";

const EXECABORT = errorReply("EXECABORT Transaction discarded because of previous errors.");
const DISCARD = encodeCommand(["DISCARD"]);
const EMPTY_ARRAY = Buffer.from("*0\r\n");

export interface Transaction {
  upstream: RedisUpstreamCluster | null;
  node: RedisNode | null;
  connection: RedisUpstreamConnection | null;
  /** Inside MULTI (else only WATCHing). */
  multi: boolean;
  /** A command was refused while queuing: EXEC becomes EXECABORT. */
  aborted: boolean;
  /** Commands (MULTI first) held until the transaction's first key picks its server. */
  held: Array<{ bytes: Buffer; pending: Pending }>;
}

/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export function transactionCommand(d: RedisDownstream, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
  const txn = d.txn;
  switch (name) {
    case "multi": {
      if (txn?.multi) return void d.replies.enqueueLocal(errorReply("ERR MULTI calls can not be nested"));
      const t = txn ?? newTransaction(d);
      t.multi = true;
      const pending = d.replies.enqueue(name);
      if (t.connection !== null) t.connection.send(Buffer.from(b.subarray(start, end)), pending);
      else t.held.push({ bytes: Buffer.from(b.subarray(start, end)), pending });
      return;
    }
    case "exec":
    case "discard": {
      if (!txn?.multi) return void d.replies.enqueueLocal(errorReply(`ERR ${name.toUpperCase()} without MULTI`));
      endTransaction(d, txn, name, b, start, end);
      return;
    }
    case "watch": {
      if (txn?.multi) return void d.replies.enqueueLocal(errorReply("ERR WATCH inside MULTI is not allowed"));
      const keys = keysOf(d.parser, info, b);
      if (typeof keys === "string") return d.invalid(keys);
      const t = txn ?? newTransaction(d);
      const pinned = pinFor(d, t, b, keys, start, end);
      if (pinned.error === undefined && t.connection !== null) {
        t.connection.send(pinned.bytes, d.replies.enqueue(name));
        return;
      }
      if (t.connection === null) d.txn = null;
      return void d.replies.enqueueLocal(pinned.error ?? CROSSSLOT);
    }
    case "unwatch": {
      if (txn === null || txn.connection === null) return void d.replies.enqueueLocal(OK);
      txn.connection.send(Buffer.from(b.subarray(start, end)), d.replies.enqueue(name));
      releaseTransaction(d, false);
      return;
    }
  }
}

function newTransaction(d: RedisDownstream): Transaction {
  d.run.flush();
  d.txn = { upstream: null, node: null, connection: null, multi: false, aborted: false, held: [] };
  return d.txn;
}

/**
 * A command inside MULTI. The first one with a key picks the server and a pinned connection;
 * then everything goes there as is (the server answers QUEUED). Keys served elsewhere are
 * refused, which turns EXEC into EXECABORT as Redis does for a command it cannot queue.
 */
export function commandInTransaction(d: RedisDownstream, txn: Transaction, name: string, info: CommandInfo | undefined, b: Buffer, start: number, end: number): void {
  const keys = info && (info.kind === "key" || info.kind === "split" || info.kind === "numkeys" || info.kind === "streams") ? keysOf(d.parser, info, b) : [];
  if (typeof keys === "string") {
    txn.aborted = true;
    return d.invalid(keys);
  }
  if (info === undefined) {
    txn.aborted = true;
    d.state.stats.inc("splitter.unknown_command");
    return void d.replies.enqueueLocal(unknownCommand(name, b, d.parser));
  }
  let bytes: Buffer = Buffer.from(b.subarray(start, end));
  if (keys.length > 0) {
    const pinned = pinFor(d, txn, b, keys, start, end);
    if (pinned.error !== undefined) {
      txn.aborted = true;
      return void d.replies.enqueueLocal(pinned.error);
    }
    bytes = pinned.bytes;
  }
  const pending = d.replies.enqueue(name);
  if (txn.connection !== null) txn.connection.send(bytes, pending);
  else txn.held.push({ bytes, pending });
}

/** Pins the transaction to the server of `keys` (or checks they match the pinned one); returns the bytes to send. */
function pinFor(d: RedisDownstream, txn: Transaction, b: Buffer, keys: number[], start: number, end: number): { bytes: Buffer; error?: undefined } | { error: Buffer } {
  const p = d.parser;
  const k0 = keys[0]!;
  const resolved = resolveRoute(d, b, p.argStart[k0]!, p.argEnd[k0]!);
  if (resolved.error !== undefined) return { error: resolved.error };
  const { route, upstream } = resolved;
  if (!upstream.whenReady(() => {})) return { error: errorReply("TRYAGAIN the upstream topology is being discovered") };
  let node: RedisNode | undefined;
  for (const k of keys) {
    const r = d.router.route(b, p.argStart[k]!, p.argEnd[k]!);
    if (r === undefined || r.cluster !== route.cluster) return { error: CROSSSLOT };
    const n = upstream.target(b, p.argStart[k]! + (r.removePrefix ? r.prefix.length : 0), p.argEnd[k]!, false);
    if (n === undefined) return { error: errorReply(`ERR ${upstream.error()}`) };
    if (node !== undefined && n !== node) return { error: CROSSSLOT };
    node = n;
  }
  if (txn.connection === null) {
    const connection = node!.acquireDedicated(d.local.protocol);
    if (connection === undefined) return { error: errorReply("ERR too many upstream connections for transactions") };
    d.state.stats.inc(connection.isConnected ? "pinned_connections_reused" : "pinned_connections_opened");
    txn.upstream = upstream;
    txn.node = node!;
    txn.connection = connection;
    for (const h of txn.held) connection.send(h.bytes, h.pending);
    txn.held = [];
  } else if (txn.node !== node) return { error: errorReply("CROSSSLOT Keys in a transaction must be served by one server") };
  return { bytes: route.removePrefix ? stripPrefixes(p, d.router, b, keys) : Buffer.from(b.subarray(start, end)) };
}

function endTransaction(d: RedisDownstream, txn: Transaction, name: string, b: Buffer, start: number, end: number): void {
  const pending = d.replies.enqueue(name);
  if (txn.connection === null) {
    // No command with a key: nothing reached a server. Answer what was held locally.
    for (const h of txn.held) h.pending.deliver(h.bytes === txn.held[0]!.bytes ? OK : QUEUED);
    txn.held = [];
    pending.deliver(txn.aborted && name === "exec" ? EXECABORT : name === "exec" ? EMPTY_ARRAY : OK);
    d.txn = null;
    return;
  }
  if (txn.aborted && name === "exec") {
    pending.transform = () => EXECABORT;
    txn.connection.send(DISCARD, pending);
  } else txn.connection.send(Buffer.from(b.subarray(start, end)), pending);
  // Redis handles commands in order, so the connection is clean for the next user right away.
  releaseTransaction(d, false);
}

/** Ends the client's transaction, if any; `dirty` (the client left mid-transaction) closes its connection. */
export function releaseTransaction(d: RedisDownstream, dirty: boolean): void {
  const txn = d.txn;
  d.txn = null;
  if (txn === null) return;
  for (const h of txn.held) h.pending.deliver(errorReply("ERR transaction abandoned"));
  if (txn.node !== null && txn.connection !== null) txn.node.releaseDedicated(txn.connection, dirty);
}
