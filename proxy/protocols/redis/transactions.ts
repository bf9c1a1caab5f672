/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH through a proxy: a transaction is pinned to one
 * upstream connection, lent to this client alone, on the server of its first key.
 *
 * States: none → watching (WATCH pinned a connection) → in MULTI → none again after EXEC,
 * DISCARD or UNWATCH. The proxy answers MULTI itself, at once: a client may wait for `+OK`
 * before sending anything else, and the server is not known until a key arrives. MULTI reaches
 * the server when the transaction is pinned. Commands the proxy answers itself (PING, TIME,
 * CLIENT ...) are queued here and evaluated at EXEC, their replies put in their places in the
 * server's EXEC array; a transaction that never pins a server is answered here entirely.
 */
import type { CommandInfo } from "./commands.ts";
import { arrayHeader, encodeCommand, errorReply, OK, parseIntAt, QUEUED, replyEnd } from "./resp.ts";
import { keysOf, stripPrefixes, unknownCommand } from "./command-args.ts";
import { localCommandReply } from "./connection-commands.ts";
import type { RedisDownstream } from "./downstream.ts";
import { CROSSSLOT } from "./keyed-command.ts";
import { noKeyRoute, soleServer } from "./no-key-command.ts";
import { resolveRoute } from "./resolve-route.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";
import type { RedisUpstreamConnection, ReplyHandler } from "./upstream-connection.ts";

const EXECABORT = errorReply("EXECABORT Transaction discarded because of previous errors.");
const MULTI = encodeCommand(["MULTI"]);
const DISCARD = encodeCommand(["DISCARD"]);

/** A command queued in MULTI that the proxy evaluates at EXEC. */
interface LocalCommand {
  name: string;
  args: Buffer[];
}

export interface Transaction {
  upstream: RedisUpstreamCluster | null;
  node: RedisNode | null;
  connection: RedisUpstreamConnection | null;
  /** Inside MULTI (else only WATCHing). */
  multi: boolean;
  /** A command was refused while queuing: EXEC becomes EXECABORT. */
  aborted: boolean;
  /** Commands queued since MULTI, in order: the proxy's own, or null for one the server queued. */
  queued: Array<LocalCommand | null>;
}

/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export function transactionCommand(d: RedisDownstream, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
  const txn = d.txn;
  switch (name) {
    case "multi": {
      if (txn?.multi) return void d.replies.enqueueLocal(errorReply("ERR MULTI calls can not be nested"));
      const t = txn ?? newTransaction(d);
      t.multi = true;
      if (t.connection !== null) t.connection.send(MULTI, multiAck(t));
      return void d.replies.enqueueLocal(OK);
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
  d.txn = { upstream: null, node: null, connection: null, multi: false, aborted: false, queued: [] };
  return d.txn;
}

/** The server's reply to the MULTI the proxy sent for the client: only an error matters. */
function multiAck(txn: Transaction): ReplyHandler {
  return {
    onReply(reply) {
      if (reply[0] === 45) txn.aborted = true;
    },
    onFailure() {
      txn.aborted = true;
    },
  };
}

/**
 * A command inside MULTI. The first one with a key (or a key-less one for the catch-all's
 * server) picks the server and a pinned connection; then everything goes there as is (the server
 * answers QUEUED). Keys served elsewhere are refused, which turns EXEC into EXECABORT as Redis
 * does for a command it cannot queue. The proxy's own commands answer QUEUED here.
 */
export function commandInTransaction(d: RedisDownstream, txn: Transaction, name: string, info: CommandInfo | undefined, b: Buffer, start: number, end: number): void {
  if (info === undefined) {
    txn.aborted = true;
    d.state.stats.inc("splitter.unknown_command");
    return void d.replies.enqueueLocal(unknownCommand(name, b, d.parser));
  }
  if (info.kind === "unsupported") {
    txn.aborted = true;
    return d.unsupported(name);
  }
  if (name === "unwatch") {
    // Queued like any command: the server's UNWATCH, or the proxy's +OK where nothing is watched.
    txn.queued.push(txn.connection === null ? { name, args: [] } : null);
    if (txn.connection === null) return void d.replies.enqueueLocal(QUEUED);
    return void txn.connection.send(Buffer.from(b.subarray(start, end)), d.replies.enqueue(name));
  }
  if (info.kind === "local") {
    const p = d.parser;
    const args: Buffer[] = [];
    for (let i = 1; i < p.argc; i++) args.push(Buffer.from(b.subarray(p.argStart[i], p.argEnd[i])));
    txn.queued.push({ name, args });
    return void d.replies.enqueueLocal(QUEUED);
  }
  let bytes: Buffer = Buffer.from(b.subarray(start, end));
  const pinned = info.kind === "no-key" ? pinKeyless(d, txn, name) : pinKeys(d, txn, info, b, start, end);
  if (pinned.error !== undefined) {
    txn.aborted = true;
    return void d.replies.enqueueLocal(pinned.error);
  }
  if (pinned.bytes !== undefined) bytes = pinned.bytes;
  txn.queued.push(null);
  txn.connection!.send(bytes, d.replies.enqueue(name));
}

type Pinned = { bytes?: Buffer; error?: undefined } | { error: Buffer };

function pinKeys(d: RedisDownstream, txn: Transaction, info: CommandInfo, b: Buffer, start: number, end: number): Pinned {
  const keys = keysOf(d.parser, info, b);
  if (typeof keys === "string") {
    d.state.stats.inc("splitter.invalid_request");
    return { error: errorReply(`ERR ${keys}`) };
  }
  if (keys.length === 0) return { error: errorReply(`ERR '${info.name}' needs at least one key`) };
  return pinFor(d, txn, b, keys, start, end);
}

/** KEYS, DBSIZE ... in a transaction: only on the catch-all's single server. */
function pinKeyless(d: RedisDownstream, txn: Transaction, name: string): Pinned {
  const route = noKeyRoute(d, name);
  if (route.error !== undefined) return route;
  if (!route.upstream.whenReady(() => {})) return { error: errorReply("TRYAGAIN the upstream topology is being discovered") };
  const node = soleServer(d, name, route.upstream);
  if (Buffer.isBuffer(node)) return { error: node };
  return pinTo(d, txn, route.upstream, node);
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
  const pinned = pinTo(d, txn, upstream, node!);
  if (pinned.error !== undefined) return pinned;
  return { bytes: route.removePrefix ? stripPrefixes(p, d.router, b, keys) : Buffer.from(b.subarray(start, end)) };
}

/** Lends the transaction a connection to `node` (sending MULTI when already inside it), or checks it has one there. */
function pinTo(d: RedisDownstream, txn: Transaction, upstream: RedisUpstreamCluster, node: RedisNode): Pinned {
  if (txn.connection !== null) {
    return txn.node === node ? {} : { error: errorReply("CROSSSLOT Keys in a transaction must be served by one server") };
  }
  const connection = node.acquireDedicated(d.local.protocol);
  if (connection === undefined) return { error: errorReply("ERR too many upstream connections for transactions") };
  d.state.stats.inc(connection.isConnected ? "pinned_connections_reused" : "pinned_connections_opened");
  txn.upstream = upstream;
  txn.node = node;
  txn.connection = connection;
  if (txn.multi) connection.send(MULTI, multiAck(txn));
  return {};
}

function endTransaction(d: RedisDownstream, txn: Transaction, name: string, b: Buffer, start: number, end: number): void {
  const exec = name === "exec";
  if (txn.connection === null) {
    // Nothing reached a server: the proxy's own commands are the whole transaction.
    d.txn = null;
    if (!exec) return void d.replies.enqueueLocal(OK);
    if (txn.aborted) return void d.replies.enqueueLocal(EXECABORT);
    const replies = txn.queued.map((c) => evaluate(d, c!));
    return void d.replies.enqueueLocal(Buffer.concat([arrayHeader(replies.length), ...replies]));
  }
  const pending = d.replies.enqueue(name);
  if (txn.aborted && exec) {
    pending.transform = () => EXECABORT;
    txn.connection.send(DISCARD, pending);
  } else {
    const queued = txn.queued;
    if (exec && queued.some((c) => c !== null)) pending.transform = (reply) => withLocalReplies(d, reply, queued);
    txn.connection.send(Buffer.from(b.subarray(start, end)), pending);
  }
  // Redis handles commands in order, so the connection is clean for the next user right away.
  releaseTransaction(d, false);
}

/**
 * The server's EXEC array with the proxy's own commands evaluated and put in their places.
 * Anything but an array (a null reply after WATCH, an error) means nothing ran: passed as is.
 */
function withLocalReplies(d: RedisDownstream, reply: Buffer, queued: Array<LocalCommand | null>): Buffer {
  if (reply[0] !== 42 /* * */) return reply;
  let p = reply.indexOf(10) + 1;
  const n = parseIntAt(reply, 1, p - 2);
  if (n < 0) return reply;
  const out: Buffer[] = [arrayHeader(queued.length)];
  for (const c of queued) {
    if (c !== null) {
      out.push(evaluate(d, c));
      continue;
    }
    const e = replyEnd(reply, p, reply.length);
    if (e < 0) return errorReply("ERR unexpected EXEC reply from upstream");
    out.push(reply.subarray(p, e));
    p = e;
  }
  return Buffer.concat(out);
}

function evaluate(d: RedisDownstream, c: LocalCommand): Buffer {
  return c.name === "unwatch" ? OK : localCommandReply(d, c.name, c.args);
}

/** Ends the client's transaction, if any; `dirty` (the client left mid-transaction) closes its connection. */
export function releaseTransaction(d: RedisDownstream, dirty: boolean): void {
  const txn = d.txn;
  d.txn = null;
  if (txn === null) return;
  if (txn.node !== null && txn.connection !== null) txn.node.releaseDedicated(txn.connection, dirty);
}
