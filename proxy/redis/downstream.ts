import type { Socket } from "node:net";
import type { ListenerStat } from "../stats/stats.ts";
import { keyIndexes, lookupCommand, type CommandInfo } from "../protocols/redis/commands.ts";
import { encodeCommand, errorReply, MALFORMED, NEED_MORE, OK, parseIntAt, QUEUED, RequestParser, TOO_LARGE } from "../protocols/redis/resp.ts";
import { helloReply, localReply, RESET_REPLY, type LocalState } from "./local-commands.ts";
import type { RedisListenerState } from "./listener-state.ts";
import { Pending, type ReplySink } from "./pending.ts";
import type { CompiledRoute, RedisRouter } from "./router.ts";
import { SplitRequest } from "./split.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";
import { IGNORE_REPLY, type RedisUpstreamConnection } from "./upstream-connection.ts";

/** Pause reading a client with this many replies outstanding; resume below half. */
const MAX_OUTSTANDING = 4096;
const NOAUTH = errorReply("NOAUTH Authentication required.");
const WRONGPASS = errorReply("WRONGPASS invalid username-password pair or user is disabled.");
const CROSSSLOT = errorReply("CROSSSLOT Keys in request don't hash to the same slot");
const EXECABORT = errorReply("EXECABORT Transaction discarded because of previous errors.");
const DISCARD = encodeCommand(["DISCARD"]);
const EMPTY_ARRAY = Buffer.from("*0\r\n");

interface Transaction {
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

/** A request's route resolved to an upstream cluster, or the error reply to send instead. */
type Resolved = { route: CompiledRoute; upstream: RedisUpstreamCluster; error?: undefined } | { error: Buffer };

/**
 * One Redis client connection. Requests are parsed in place; each gets a Pending in the
 * connection's reply queue before it is sent anywhere, so replies go back in request order
 * whatever server answers first. Consecutive requests for the same upstream connection leave as
 * one slice of the client's bytes, and consecutive replies for this client as one write.
 */
export class RedisDownstream implements ReplySink {
  /** What the listener's connection set expects of a connection (no codec here). */
  readonly codec = {};
  private readonly parser = new RequestParser();
  private leftover: Buffer | null = null;
  private head: Pending | null = null;
  private tail: Pending | null = null;
  private outstanding = 0;
  private paused = false;
  private closed = false;
  private ending = false;
  private authed: boolean;
  private readonly local: LocalState;
  private txn: Transaction | null = null;
  private readonly blocked = new Set<Pending>();
  private router: RedisRouter;
  /** Requests parsed in the current read, counted at its end. */
  private requests = 0;

  // The run of raw request bytes being gathered for one upstream connection.
  private runConnection: RedisUpstreamConnection | null = null;
  private runInput: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runHandlers: Pending[] = [];

  // Reply bytes gathered for one write at the end of the tick.
  private out: Buffer[] = [];
  private outBuffer: ArrayBuffer | null = null;
  private outStart = 0;
  private outEnd = 0;
  private flushScheduled = false;

  constructor(
    private readonly socket: Socket,
    private readonly state: RedisListenerState,
  ) {
    this.router = state.refresh();
    this.authed = this.router.config.downstreamAuth === undefined;
    this.local = { id: state.connectionId(), protocol: 2, name: undefined };
    const stats = state.context.stats;
    stats.inc("downstream_cx_total");
    stats.inc("downstream_cx_active");
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.maybeResume());
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onClose());
    state.context.connections.add(this);
  }

  close(): void {
    this.socket.destroy();
  }

  // ---- input ------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.router = this.state.refresh();
    const input = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = null;
    const length = input.length;
    let offset = 0;
    while (offset < length && !this.ending) {
      const end = this.parser.parse(input, offset, length);
      if (end < 0) {
        if (end === NEED_MORE) break;
        if (end === MALFORMED || end === TOO_LARGE) {
          // The stream is out of step: answer, then close (what Redis does).
          this.statsListener(end === TOO_LARGE ? "downstream_rq_too_large" : "downstream_cx_protocol_error");
          this.state.stats.inc("splitter.invalid_request");
          const p = this.enqueueLocal(errorReply(`ERR ${this.parser.problem}`));
          p.closeAfter = true;
          this.ending = true;
          break;
        }
      }
      this.request(input, offset, end);
      offset = end;
    }
    this.flushRun();
    if (this.requests > 0) {
      // Counted once per read, not per request.
      this.state.stats.inc("downstream_rq_total", this.requests);
      this.state.context.stats.inc("downstream_rq_total", this.requests);
      this.requests = 0;
    }
    if (offset < length && !this.ending) this.leftover = offset === 0 ? input : input.subarray(offset);
  }

  private request(b: Buffer, start: number, end: number): void {
    const p = this.parser;
    if (p.argc === 0) return; // an empty inline line
    if (p.inline) {
      // Re-frame inline commands as arrays, so that upstream connections carry one format.
      const args: Buffer[] = [];
      for (let i = 0; i < p.argc; i++) args.push(b.subarray(p.argStart[i], p.argEnd[i]));
      const framed = encodeCommand(args);
      p.parse(framed, 0, framed.length);
      return this.request(framed, 0, framed.length);
    }
    this.requests++;
    const info = lookupCommand(b, p.argStart[0]!, p.argEnd[0]!);
    const name = info !== undefined ? info.name : b.toString("latin1", p.argStart[0]!, p.argEnd[0]!).toLowerCase();
    if (!this.authed && name !== "auth" && name !== "hello" && name !== "quit") {
      this.statsListener("local_reply_unauthorized");
      this.enqueueLocal(NOAUTH);
      return;
    }
    const txn = this.txn;
    if (txn !== null && txn.multi && (info === undefined || (info.kind !== "transaction" && info.kind !== "unsupported"))) {
      this.inTransaction(txn, name, info, b, start, end);
      return;
    }
    if (info === undefined) {
      this.state.stats.inc("splitter.unknown_command");
      this.enqueueLocal(unknownCommand(name, b, p));
      return;
    }
    switch (info.kind) {
      case "key":
      case "numkeys":
      case "streams":
        this.keyed(name, info, b, start, end);
        return;
      case "split":
        this.split(name, info, b, start, end);
        return;
      case "local":
        this.localCommand(name, b);
        return;
      case "transaction":
        this.transaction(name, info, b, start, end);
        return;
      case "no-key":
        this.noKey(name, b, start, end);
        return;
      case "unsupported":
        this.state.stats.inc("splitter.unsupported_command");
        this.enqueueLocal(errorReply(`ERR unsupported command '${name}'`));
        return;
    }
  }

  /** Commands with keys that must all be served together. */
  private keyed(name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
    const p = this.parser;
    let keys: number[] | string;
    if (info.kind === "key" && info.firstKey === info.lastKey) keys = p.argc > info.firstKey && p.argc >= info.minArgs ? [info.firstKey] : `wrong number of arguments for '${name}' command`;
    else keys = this.keysOf(info, b);
    if (typeof keys === "string") return this.invalid(keys);
    if (keys.length === 0) return this.invalid(`'${name}' needs at least one key`);
    const k0 = keys[0]!;
    const resolved = this.resolve(b, p.argStart[k0]!, p.argEnd[k0]!);
    if (resolved.error !== undefined) return void this.enqueueLocal(resolved.error);
    const { route, upstream } = resolved;
    if (keys.length > 1) {
      const group = upstream.groupOf(b, p.argStart[k0]! + (route.removePrefix ? route.prefix.length : 0), p.argEnd[k0]!);
      for (let i = 1; i < keys.length; i++) {
        const k = keys[i]!;
        const other = this.router.route(b, p.argStart[k]!, p.argEnd[k]!);
        if (other === undefined || other.cluster !== route.cluster) return void this.enqueueLocal(CROSSSLOT);
        const g = upstream.groupOf(b, p.argStart[k]! + (other.removePrefix ? other.prefix.length : 0), p.argEnd[k]!);
        if (g !== group) return void this.enqueueLocal(CROSSSLOT);
      }
    }
    const blocking = info.blocking || (name === "xread" || name === "xreadgroup" ? this.hasWord(b, "block") : false);
    const bytes = route.removePrefix ? this.stripPrefixes(b, keys, route) : null;
    const keyStart = p.argStart[k0]! + (route.removePrefix ? route.prefix.length : 0);
    this.send(name, info.read, blocking, route, upstream, b, start, end, bytes, b, keyStart, p.argEnd[k0]!);
  }

  /**
   * Sends one command: through faults, to the node its key maps to, then to the mirrors.
   * `bytes` is a rewritten command, or null to forward `b[start, end)` as received.
   */
  private send(
    name: string,
    read: boolean,
    blocking: boolean,
    route: CompiledRoute,
    upstream: RedisUpstreamCluster,
    b: Buffer,
    start: number,
    end: number,
    bytes: Buffer | null,
    keyBuffer: Buffer,
    keyStart: number,
    keyEnd: number,
  ): void {
    const pending = this.enqueue(name);
    if (this.router.faults.length > 0) {
      const fault = this.router.fault(name);
      if (fault !== undefined) {
        if (fault.type === "ERROR") {
          this.state.stats.inc("fault_error_injected");
          this.statsListener("local_reply_fault_abort");
          pending.deliver(errorReply("ERR Fault injected: error"));
          return;
        }
        this.state.stats.inc("fault_delay_injected");
        this.statsListener("fault_delays_injected");
        // The request keeps its place in the reply order; later requests go ahead meanwhile.
        const copy = bytes ?? b.subarray(start, end);
        const key = keyBuffer === b ? b.subarray(keyStart, keyEnd) : keyBuffer.subarray(keyStart, keyEnd);
        setTimeout(() => {
          if (this.closed) return;
          this.dispatch(pending, read, blocking, route, upstream, copy, 0, copy.length, copy, key, 0, key.length);
          this.flushRun();
        }, fault.delayMs);
        return;
      }
    }
    if (bytes !== null) this.dispatch(pending, read, blocking, route, upstream, bytes, 0, bytes.length, bytes, keyBuffer, keyStart, keyEnd);
    else this.dispatch(pending, read, blocking, route, upstream, b, start, end, null, keyBuffer, keyStart, keyEnd);
  }

  private dispatch(
    pending: Pending,
    read: boolean,
    blocking: boolean,
    route: CompiledRoute,
    upstream: RedisUpstreamCluster,
    b: Buffer,
    start: number,
    end: number,
    owned: Buffer | null,
    keyBuffer: Buffer,
    keyStart: number,
    keyEnd: number,
  ): void {
    const single = upstream.single;
    if (single !== null && !blocking && route.mirrors.length === 0) {
      // The hot path: one server, raw bytes, joined to the current run.
      this.appendRun(single.connection(this.local.protocol), b, start, end, pending);
      return;
    }
    const ready = upstream.whenReady((error) => {
      if (error !== undefined) return pending.deliver(errorReply(error.startsWith("CLUSTERDOWN") ? error : `ERR ${error}`));
      const bytes = owned ?? Buffer.from(b.subarray(start, end));
      this.dispatch(pending, read, blocking, route, upstream, bytes, 0, bytes.length, bytes, keyBuffer, keyStart, keyEnd);
      this.flushRun();
    });
    if (!ready) return;
    const node = upstream.target(keyBuffer, keyStart, keyEnd, read);
    if (node === undefined) {
      this.statsListener("local_reply_no_healthy_endpoint");
      pending.deliver(errorReply(upstream.error().startsWith("CLUSTERDOWN") ? upstream.error() : `ERR ${upstream.error()}`));
      return;
    }
    const follow = upstream.isClusterMode || this.router.config.enableRedirection;
    if (follow) {
      pending.bytes = owned ?? b.subarray(start, end);
      pending.upstream = upstream;
      pending.protocol = this.local.protocol;
    }
    if (blocking) {
      const connection = node.acquireDedicated(this.local.protocol);
      if (connection === undefined) {
        this.statsListener("local_reply_overflow");
        pending.deliver(errorReply("ERR too many upstream connections for blocking commands"));
        return;
      }
      pending.release = { node, connection };
      this.blocked.add(pending);
      connection.send(owned ?? b.subarray(start, end), pending);
    } else {
      this.appendRun(node.connection(this.local.protocol), b, start, end, pending);
    }
    if (route.mirrors.length > 0) this.mirror(route, read, owned ?? b.subarray(start, end), keyBuffer, keyStart, keyEnd);
  }

  private mirror(route: CompiledRoute, read: boolean, bytes: Buffer, keyBuffer: Buffer, keyStart: number, keyEnd: number): void {
    for (const m of route.mirrors) {
      if (m.excludeReadCommands && read) continue;
      if (m.percentage < 100 && Math.random() * 100 >= m.percentage) continue;
      const up = this.state.upstream(m.cluster);
      if (up === undefined) continue;
      const send = () => {
        const node = up.target(keyBuffer, keyStart, keyEnd, false);
        if (node === undefined) return;
        this.state.stats.inc("mirror_rq_total");
        up.cluster.stats.inc("mirror_rq_total");
        node.connection(2).send(bytes, IGNORE_REPLY);
      };
      if (up.whenReady(() => send())) send();
    }
  }

  /** MGET, MSET, DEL, EXISTS, TOUCH, UNLINK: split when the keys live apart. */
  private split(name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
    const p = this.parser;
    const keys = this.keysOf(info, b);
    if (typeof keys === "string") return this.invalid(keys);
    const k0 = keys[0]!;
    const first = this.resolve(b, p.argStart[k0]!, p.argEnd[k0]!);
    if (first.error !== undefined) return void this.enqueueLocal(first.error);
    // Group keys by (cluster, slot or server); one group and no prefix to remove: forward as is.
    const groups = new Map<unknown, { route: CompiledRoute; upstream: RedisUpstreamCluster; positions: number[]; args: number[]; strip: boolean }>();
    const notReady: RedisUpstreamCluster[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const resolved = i === 0 ? first : this.resolve(b, p.argStart[k]!, p.argEnd[k]!);
      if (resolved.error !== undefined) return void this.enqueueLocal(resolved.error);
      const { route, upstream } = resolved;
      const ks = p.argStart[k]! + (route.removePrefix ? route.prefix.length : 0);
      let group: unknown = undefined;
      if (upstream.whenReady(() => {})) group = upstream.groupOf(b, ks, p.argEnd[k]!);
      else if (!notReady.includes(upstream)) notReady.push(upstream);
      const id = `${route.cluster}\u0000${typeof group === "number" ? group : (group as RedisNode | undefined)?.key ?? ""}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { route, upstream, positions: [], args: [], strip: false }));
      if (route.removePrefix) g.strip = true;
      g.positions.push(i);
      g.args.push(k);
    }
    if (notReady.length > 0) {
      // Learn the topology first, then split for real.
      const copy = Buffer.from(b.subarray(start, end));
      const pending = this.enqueue(name);
      let left = notReady.length;
      for (const up of notReady) {
        up.whenReady(() => {
          if (--left > 0 || this.closed) return;
          this.parser.parse(copy, 0, copy.length);
          this.splitInto(pending, name, info, copy, 0, copy.length);
        });
      }
      return;
    }
    const pending = this.enqueue(name);
    this.splitGroups(pending, name, info, b, start, end, keys, groups);
  }

  private splitInto(pending: Pending, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
    const p = this.parser;
    const keys = this.keysOf(info, b) as number[];
    const groups = new Map<unknown, { route: CompiledRoute; upstream: RedisUpstreamCluster; positions: number[]; args: number[]; strip: boolean }>();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const resolved = this.resolve(b, p.argStart[k]!, p.argEnd[k]!);
      if (resolved.error !== undefined) return pending.deliver(resolved.error);
      const { route, upstream } = resolved;
      const group = upstream.groupOf(b, p.argStart[k]! + (route.removePrefix ? route.prefix.length : 0), p.argEnd[k]!);
      const id = `${route.cluster}\u0000${typeof group === "number" ? group : group?.key ?? ""}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { route, upstream, positions: [], args: [], strip: false }));
      if (route.removePrefix) g.strip = true;
      g.positions.push(i);
      g.args.push(k);
    }
    this.splitGroups(pending, name, info, b, start, end, keys, groups);
    this.flushRun();
  }

  private splitGroups(
    pending: Pending,
    name: string,
    info: CommandInfo,
    b: Buffer,
    start: number,
    end: number,
    keys: number[],
    groups: Map<unknown, { route: CompiledRoute; upstream: RedisUpstreamCluster; positions: number[]; args: number[]; strip: boolean }>,
  ): void {
    const p = this.parser;
    if (this.router.faults.length > 0) {
      const fault = this.router.fault(name);
      if (fault?.type === "ERROR") {
        this.state.stats.inc("fault_error_injected");
        this.statsListener("local_reply_fault_abort");
        return pending.deliver(errorReply("ERR Fault injected: error"));
      }
    }
    const list = [...groups.values()];
    if (list.length === 1 && !list[0]!.strip) {
      const { route, upstream } = list[0]!;
      const k0 = keys[0]!;
      this.dispatch(pending, info.read, false, route, upstream, b, start, end, null, b, p.argStart[k0]!, p.argEnd[k0]!);
      return;
    }
    this.state.stats.inc("split_requests");
    const cmd = b.subarray(p.argStart[0], p.argEnd[0]);
    const split = new SplitRequest(pending, info.merge!, list.map((g) => g.positions), keys.length, this);
    list.forEach((g, index) => {
      const args: Buffer[] = [cmd];
      for (const k of g.args) {
        const r = g.strip ? this.router.route(b, p.argStart[k]!, p.argEnd[k]!) : undefined;
        args.push(b.subarray(p.argStart[k]! + (r?.removePrefix ? r.prefix.length : 0), p.argEnd[k]));
        if (info.step === 2) args.push(b.subarray(p.argStart[k + 1], p.argEnd[k + 1]));
      }
      const bytes = encodeCommand(args);
      const part = split.part(index);
      const key = args[1]!;
      const node = g.upstream.target(key, 0, key.length, info.read);
      if (node === undefined) return part.deliver(errorReply(`ERR ${g.upstream.error()}`));
      if (g.upstream.isClusterMode || this.router.config.enableRedirection) {
        part.bytes = bytes;
        part.upstream = g.upstream;
        part.protocol = this.local.protocol;
      }
      this.flushRun();
      node.connection(this.local.protocol).send(bytes, part);
      if (g.route.mirrors.length > 0) this.mirror(g.route, info.read, bytes, key, 0, key.length);
    });
  }

  /** KEYS, SCAN, FLUSHALL ...: only where the catch-all has exactly one server. */
  private noKey(name: string, b: Buffer, start: number, end: number): void {
    const route = this.router.catchAll;
    const upstream = route ? this.state.upstream(route.cluster) : undefined;
    if (!route || !upstream) return this.unsupported(name);
    const pending = this.enqueue(name);
    const go = (bytes: Buffer, s: number, e: number) => {
      const node = upstream.soleMaster();
      if (node === undefined) {
        this.state.stats.inc("splitter.unsupported_command");
        return pending.deliver(errorReply(`ERR '${name}' is not supported when the route has several servers`));
      }
      this.appendRun(node.connection(this.local.protocol), bytes, s, e, pending);
    };
    const copy = () => Buffer.from(b.subarray(start, end));
    if (upstream.whenReady(() => {
      const c = copy();
      go(c, 0, c.length);
      this.flushRun();
    })) go(b, start, end);
  }

  private localCommand(name: string, b: Buffer): void {
    const p = this.parser;
    const args: Buffer[] = [];
    for (let i = 1; i < p.argc; i++) args.push(b.subarray(p.argStart[i], p.argEnd[i]));
    switch (name) {
      case "quit": {
        const q = this.enqueueLocal(OK);
        q.closeAfter = true;
        this.ending = true;
        return;
      }
      case "auth":
        return void this.enqueueLocal(this.auth(args));
      case "hello":
        return void this.enqueueLocal(this.hello(args));
      case "reset":
        this.releaseTransaction(true);
        this.local.protocol = 2;
        this.authed = this.router.config.downstreamAuth === undefined;
        return void this.enqueueLocal(RESET_REPLY);
      case "info": {
        // One server behind the catch-all: its own INFO is the truthful answer.
        const route = this.router.catchAll;
        const up = route ? this.state.upstream(route.cluster) : undefined;
        if (up !== undefined && up.single !== null) {
          this.flushRun();
          up.single.connection(this.local.protocol).send(encodeCommand([b.subarray(p.argStart[0], p.argEnd[0]), ...args]), this.enqueue(name));
          return;
        }
        break;
      }
    }
    this.enqueueLocal(localReply(name, args, this.local) ?? errorReply(`ERR unsupported command '${name}'`));
  }

  private auth(args: Buffer[]): Buffer {
    const want = this.router.config.downstreamAuth;
    if (args.length < 1 || args.length > 2) return errorReply("ERR wrong number of arguments for 'auth' command");
    if (want === undefined) return errorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    const user = args.length === 2 ? args[0]!.toString() : undefined;
    const password = args[args.length - 1]!.toString();
    const userOk = want.username === undefined ? user === undefined || user === "default" : user === want.username;
    if (userOk && password === want.password) {
      this.authed = true;
      return OK;
    }
    this.state.stats.inc("downstream_auth_fail");
    this.statsListener("local_reply_unauthorized");
    return WRONGPASS;
  }

  private hello(args: Buffer[]): Buffer {
    let protocol = this.local.protocol;
    if (args.length > 0) {
      const v = Number(args[0]!.toString());
      if (v !== 2 && v !== 3) return errorReply("NOPROTO unsupported protocol version");
      protocol = v;
    }
    for (let i = 1; i < args.length; i++) {
      const opt = args[i]!.toString().toLowerCase();
      if (opt === "auth" && i + 2 < args.length + 0 + 1 && args[i + 2] !== undefined) {
        const r = this.auth([args[i + 1]!, args[i + 2]!]);
        if (r !== OK) return r;
        i += 2;
      } else if (opt === "setname" && args[i + 1] !== undefined) {
        this.local.name = args[i + 1]!.toString();
        i += 1;
      } else return errorReply(`ERR Syntax error in HELLO option '${opt}'`);
    }
    if (!this.authed) return errorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    this.local.protocol = protocol as 2 | 3;
    return helloReply(this.local);
  }

  // ---- transactions -----------------------------------------------------------------------

  private transaction(name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
    const txn = this.txn;
    switch (name) {
      case "multi": {
        if (txn?.multi) return void this.enqueueLocal(errorReply("ERR MULTI calls can not be nested"));
        const t = txn ?? this.newTransaction();
        t.multi = true;
        const pending = this.enqueue(name);
        if (t.connection !== null) t.connection.send(Buffer.from(b.subarray(start, end)), pending);
        else t.held.push({ bytes: Buffer.from(b.subarray(start, end)), pending });
        return;
      }
      case "exec":
      case "discard": {
        if (!txn?.multi) return void this.enqueueLocal(errorReply(`ERR ${name.toUpperCase()} without MULTI`));
        this.endTransaction(txn, name, b, start, end);
        return;
      }
      case "watch": {
        if (txn?.multi) return void this.enqueueLocal(errorReply("ERR WATCH inside MULTI is not allowed"));
        const keys = this.keysOf(info, b);
        if (typeof keys === "string") return this.invalid(keys);
        const t = txn ?? this.newTransaction();
        const pinned = this.pinFor(t, b, keys, start, end);
        if (pinned.error === undefined && t.connection !== null) {
          t.connection.send(pinned.bytes, this.enqueue(name));
          return;
        }
        if (t.connection === null) this.txn = null;
        return void this.enqueueLocal(pinned.error ?? CROSSSLOT);
      }
      case "unwatch": {
        if (txn === null || txn.connection === null) return void this.enqueueLocal(OK);
        txn.connection.send(Buffer.from(b.subarray(start, end)), this.enqueue(name));
        this.releaseTransaction(false);
        return;
      }
    }
  }

  private newTransaction(): Transaction {
    this.flushRun();
    this.txn = { upstream: null, node: null, connection: null, multi: false, aborted: false, held: [] };
    return this.txn;
  }

  /**
   * A command inside MULTI. The first one with a key picks the server and a pinned connection;
   * then everything goes there as is (the server answers QUEUED). Keys served elsewhere are
   * refused, which turns EXEC into EXECABORT as Redis does for a command it cannot queue.
   */
  private inTransaction(txn: Transaction, name: string, info: CommandInfo | undefined, b: Buffer, start: number, end: number): void {
    const keys = info && (info.kind === "key" || info.kind === "split" || info.kind === "numkeys" || info.kind === "streams") ? this.keysOf(info, b) : [];
    if (typeof keys === "string") {
      txn.aborted = true;
      return this.invalid(keys);
    }
    if (info === undefined) {
      txn.aborted = true;
      this.state.stats.inc("splitter.unknown_command");
      return void this.enqueueLocal(unknownCommand(name, b, this.parser));
    }
    let bytes: Buffer = Buffer.from(b.subarray(start, end));
    if (keys.length > 0) {
      const pinned = this.pinFor(txn, b, keys, start, end);
      if (pinned.error !== undefined) {
        txn.aborted = true;
        return void this.enqueueLocal(pinned.error);
      }
      bytes = pinned.bytes;
    }
    const pending = this.enqueue(name);
    if (txn.connection !== null) txn.connection.send(bytes, pending);
    else txn.held.push({ bytes, pending });
  }

  /** Pins the transaction to the server of `keys` (or checks they match the pinned one); returns the bytes to send. */
  private pinFor(txn: Transaction, b: Buffer, keys: number[], start: number, end: number): { bytes: Buffer; error?: undefined } | { error: Buffer } {
    const p = this.parser;
    const k0 = keys[0]!;
    const resolved = this.resolve(b, p.argStart[k0]!, p.argEnd[k0]!);
    if (resolved.error !== undefined) return { error: resolved.error };
    const { route, upstream } = resolved;
    if (!upstream.whenReady(() => {})) return { error: errorReply("TRYAGAIN the upstream topology is being discovered") };
    let node: RedisNode | undefined;
    for (const k of keys) {
      const r = this.router.route(b, p.argStart[k]!, p.argEnd[k]!);
      if (r === undefined || r.cluster !== route.cluster) return { error: CROSSSLOT };
      const n = upstream.target(b, p.argStart[k]! + (r.removePrefix ? r.prefix.length : 0), p.argEnd[k]!, false);
      if (n === undefined) return { error: errorReply(`ERR ${upstream.error()}`) };
      if (node !== undefined && n !== node) return { error: CROSSSLOT };
      node = n;
    }
    if (txn.connection === null) {
      const connection = node!.acquireDedicated(this.local.protocol);
      if (connection === undefined) return { error: errorReply("ERR too many upstream connections for transactions") };
      this.state.stats.inc(connection.isConnected ? "pinned_connections_reused" : "pinned_connections_opened");
      txn.upstream = upstream;
      txn.node = node!;
      txn.connection = connection;
      for (const h of txn.held) connection.send(h.bytes, h.pending);
      txn.held = [];
    } else if (txn.node !== node) return { error: errorReply("CROSSSLOT Keys in a transaction must be served by one server") };
    return { bytes: route.removePrefix ? this.stripPrefixes(b, keys, route) : Buffer.from(b.subarray(start, end)) };
  }

  private endTransaction(txn: Transaction, name: string, b: Buffer, start: number, end: number): void {
    const pending = this.enqueue(name);
    if (txn.connection === null) {
      // No command with a key: nothing reached a server. Answer what was held locally.
      for (const h of txn.held) h.pending.deliver(h.bytes === txn.held[0]!.bytes ? OK : QUEUED);
      txn.held = [];
      pending.deliver(txn.aborted && name === "exec" ? EXECABORT : name === "exec" ? EMPTY_ARRAY : OK);
      this.txn = null;
      return;
    }
    if (txn.aborted && name === "exec") {
      pending.transform = () => EXECABORT;
      txn.connection.send(DISCARD, pending);
    } else txn.connection.send(Buffer.from(b.subarray(start, end)), pending);
    // Redis handles commands in order, so the connection is clean for the next user right away.
    this.releaseTransaction(false);
  }

  private releaseTransaction(dirty: boolean): void {
    const txn = this.txn;
    this.txn = null;
    if (txn === null) return;
    for (const h of txn.held) h.pending.deliver(errorReply("ERR transaction abandoned"));
    if (txn.node !== null && txn.connection !== null) txn.node.releaseDedicated(txn.connection, dirty);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private resolve(b: Buffer, keyStart: number, keyEnd: number): Resolved {
    const route = this.router.route(b, keyStart, keyEnd);
    if (route === undefined) {
      this.statsListener("local_reply_no_route");
      return { error: errorReply("ERR no upstream host") };
    }
    const upstream = this.state.upstream(route.cluster);
    if (upstream === undefined) {
      this.statsListener("local_reply_no_cluster");
      return { error: errorReply(`ERR no cluster ${route.cluster}`) };
    }
    return { route, upstream };
  }

  private keysOf(info: CommandInfo, b: Buffer): number[] | string {
    const p = this.parser;
    return keyIndexes(
      info,
      p.argc,
      (i) => parseIntAt(b, p.argStart[i]!, p.argEnd[i]!),
      (i, word) => p.argEnd[i]! - p.argStart[i]! === word.length && b.toString("latin1", p.argStart[i]!, p.argEnd[i]!).toLowerCase() === word,
    );
  }

  private hasWord(b: Buffer, word: string): boolean {
    const p = this.parser;
    for (let i = 1; i < p.argc; i++) if (p.argEnd[i]! - p.argStart[i]! === word.length && b.toString("latin1", p.argStart[i]!, p.argEnd[i]!).toLowerCase() === word) return true;
    return false;
  }

  /** The command with the route's prefix cut from each key argument. */
  private stripPrefixes(b: Buffer, keys: number[], route: CompiledRoute): Buffer {
    const p = this.parser;
    const cut = new Set(keys);
    const args: Buffer[] = [];
    for (let i = 0; i < p.argc; i++) {
      const s = p.argStart[i]!;
      const e = p.argEnd[i]!;
      const r = cut.has(i) ? this.router.route(b, s, e) : undefined;
      args.push(r !== undefined && r.removePrefix ? b.subarray(s + r.prefix.length, e) : b.subarray(s, e));
    }
    void route;
    return encodeCommand(args);
  }

  private invalid(message: string): void {
    this.state.stats.inc("splitter.invalid_request");
    this.enqueueLocal(errorReply(`ERR ${message}`));
  }

  private unsupported(name: string): void {
    this.state.stats.inc("splitter.unsupported_command");
    this.enqueueLocal(errorReply(`ERR unsupported command '${name}'`));
  }

  private statsListener(name: ListenerStat): void {
    this.state.context.stats.inc(name);
  }

  // ---- reply order ------------------------------------------------------------------------

  private enqueue(command: string): Pending {
    const p = new Pending(this);
    p.command = command;
    if (this.tail === null) this.head = this.tail = p;
    else {
      this.tail.next = p;
      this.tail = p;
    }
    if (++this.outstanding >= MAX_OUTSTANDING && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    return p;
  }

  private enqueueLocal(reply: Buffer): Pending {
    const p = this.enqueue("");
    this.complete(p, reply);
    return p;
  }

  /** ReplySink: a reply is ready; write it and whatever was waiting behind it. */
  complete(p: Pending, reply: Buffer): void {
    if (p.done) return;
    p.done = true;
    this.outstanding--;
    if (p.command !== "" && this.router.config.enableCommandStats) this.commandStat(p.command, reply);
    if (this.blocked.size > 0) this.blocked.delete(p);
    if (this.closed) return;
    if (p !== this.head) {
      p.reply = reply;
      return;
    }
    let n: Pending | null = p;
    let r: Buffer | null = reply;
    while (n !== null && n.done) {
      this.output(r ?? n.reply!);
      r = null;
      n.reply = null;
      if (n.closeAfter) {
        this.flushOut();
        this.socket.end();
        this.closed = true;
        this.head = this.tail = null;
        return;
      }
      n = n.next;
    }
    this.head = n;
    if (n === null) this.tail = null;
    if (this.paused && this.outstanding < MAX_OUTSTANDING / 2) this.maybeResume();
  }

  onRedirect(kind: "moved" | "ask" | "limit"): void {
    this.state.stats.inc(kind === "moved" ? "moved_followed" : kind === "ask" ? "ask_followed" : "redirect_limit");
  }

  private commandStat(command: string, reply: Buffer): void {
    const s = this.state.commandStats;
    s.inc(`${command}.total`);
    if (reply[0] === 45 || reply[0] === 33) s.inc(`${command}.error`);
    else s.inc(`${command}.success`);
  }

  /** Collects reply bytes; adjacent views of one upstream read become one slice. */
  private output(reply: Buffer): void {
    if (this.outBuffer === reply.buffer && this.outEnd === reply.byteOffset) {
      this.outEnd += reply.length;
    } else {
      this.sealOut();
      this.outBuffer = reply.buffer as ArrayBuffer;
      this.outStart = reply.byteOffset;
      this.outEnd = reply.byteOffset + reply.length;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushDownstream, this);
    }
  }

  private sealOut(): void {
    if (this.outBuffer !== null) {
      this.out.push(Buffer.from(this.outBuffer, this.outStart, this.outEnd - this.outStart));
      this.outBuffer = null;
    }
  }

  /** Writes everything collected this tick in one call. */
  flushOut(): void {
    this.flushScheduled = false;
    this.sealOut();
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) {
      this.out = [];
      return;
    }
    this.out = [];
    let ok: boolean;
    if (out.length === 1) ok = this.socket.write(out[0]!);
    else {
      this.socket.cork();
      for (let i = 0; i < out.length - 1; i++) this.socket.write(out[i]!);
      ok = this.socket.write(out[out.length - 1]!);
      this.socket.uncork();
    }
    if (!ok && !this.paused) {
      // The client is not reading its replies: stop reading its requests until it does.
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.outstanding >= MAX_OUTSTANDING / 2 || this.socket.writableNeedDrain) return;
    this.paused = false;
    this.socket.resume();
  }

  // ---- request runs -----------------------------------------------------------------------

  /** Queues `pending` on `connection`; bytes adjacent to the current run join it. */
  private appendRun(connection: RedisUpstreamConnection, b: Buffer, start: number, end: number, pending: Pending): void {
    if (this.runConnection === connection && this.runInput === b && this.runEnd === start) {
      this.runEnd = end;
      this.runHandlers.push(pending);
      return;
    }
    this.flushRun();
    this.runConnection = connection;
    this.runInput = b;
    this.runStart = start;
    this.runEnd = end;
    this.runHandlers.push(pending);
  }

  private flushRun(): void {
    const c = this.runConnection;
    if (c === null) return;
    this.runConnection = null;
    const handlers = this.runHandlers;
    this.runHandlers = [];
    c.sendRun(this.runInput!.subarray(this.runStart, this.runEnd), handlers);
    this.runInput = null;
  }

  private onClose(): void {
    this.closed = true;
    this.leftover = null;
    const ctx = this.state.context;
    ctx.stats.dec("downstream_cx_active");
    ctx.connections.delete(this);
    this.releaseTransaction(true);
    // Blocking commands still waiting hold pinned connections: close them.
    for (const p of this.blocked) {
      const r = p.release;
      p.release = null;
      if (r) r.node.releaseDedicated(r.connection, true);
    }
    this.blocked.clear();
    this.head = this.tail = null;
  }
}

function flushDownstream(d: RedisDownstream): void {
  d.flushOut();
}

function unknownCommand(name: string, b: Buffer, p: RequestParser): Buffer {
  const args: string[] = [];
  for (let i = 1; i < p.argc && i < 4; i++) args.push(`'${b.toString("utf8", p.argStart[i], p.argEnd[i])}'`);
  return errorReply(`ERR unknown command '${name}', with args beginning with: ${args.join(" ")}${args.length ? " " : ""}`.trimEnd());
}
