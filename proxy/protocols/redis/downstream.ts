import type { Socket } from "node:net";
import type { ListenerStat } from "../../stats/stats.ts";
import { lookupCommand } from "./commands.ts";
import { encodeCommand, errorReply, MALFORMED, NEED_MORE, RequestParser, TOO_LARGE } from "./resp.ts";
import { unknownCommand } from "./command-args.ts";
import { connectionCommand } from "./connection-commands.ts";
import { keyedCommand } from "./keyed-command.ts";
import type { LocalState } from "./local-commands.ts";
import type { RedisListenerState } from "./listener-state.ts";
import { noKeyCommand } from "./no-key-command.ts";
import { OutgoingCommand } from "./outgoing-command.ts";
import { ReplyQueue } from "./reply-queue.ts";
import { RequestRun } from "./request-run.ts";
import type { RedisRouter } from "./router.ts";
import { splitCommand } from "./split-command.ts";
import { commandInTransaction, releaseTransaction, transactionCommand, type Transaction } from "./transactions.ts";

const NOAUTH = errorReply("NOAUTH Authentication required.");

/**
 * One Redis client connection. Requests are parsed in place and handed, by command kind, to
 * the handler modules beside this one (keyed-command, split-command, transactions ...); each
 * gets its place in `replies` before it is sent anywhere, so replies go back in request order
 * whatever server answers first. Consecutive requests for the same upstream connection leave as
 * one slice of the client's bytes (`run`), and consecutive replies as one write.
 *
 * The fields below are shared with those handler modules, which are this class's parts.
 */
export class RedisDownstream {
  /** What the listener's connection set expects of a connection (no codec here). */
  readonly codec = {};
  readonly parser = new RequestParser();
  readonly replies: ReplyQueue;
  readonly run = new RequestRun();
  /** The command being sent upstream, reused for each. */
  readonly command = new OutgoingCommand();
  readonly local: LocalState;
  /** The routes as of the latest read. */
  router: RedisRouter;
  authed: boolean;
  /** QUIT or a protocol error: read nothing more, close after the last reply. */
  ending = false;
  txn: Transaction | null = null;
  private leftover: Buffer | null = null;
  /** Requests parsed in the current read, counted at its end. */
  private requests = 0;

  constructor(
    private readonly socket: Socket,
    readonly state: RedisListenerState,
  ) {
    this.router = state.refresh();
    this.replies = new ReplyQueue(socket, state);
    this.replies.countCommands = this.router.config.enableCommandStats;
    this.authed = this.router.config.downstreamAuth === undefined;
    this.local = { id: state.connectionId(), protocol: 2, name: undefined };
    const stats = state.context.stats;
    stats.inc("downstream_cx_total");
    stats.inc("downstream_cx_active");
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.replies.maybeResume());
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onClose());
    state.context.connections.add(this);
  }

  get closed(): boolean {
    return this.replies.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Answers with `-ERR <message>` and counts an invalid request. */
  invalid(message: string): void {
    this.state.stats.inc("splitter.invalid_request");
    this.replies.enqueueLocal(errorReply(`ERR ${message}`));
  }

  unsupported(name: string): void {
    this.state.stats.inc("splitter.unsupported_command");
    this.replies.enqueueLocal(errorReply(`ERR unsupported command '${name}'`));
  }

  countListener(name: ListenerStat): void {
    this.state.context.stats.inc(name);
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.router = this.state.refresh();
    this.replies.countCommands = this.router.config.enableCommandStats;
    this.replies.accessLog = this.state.context.accessLog;
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
          this.countListener(end === TOO_LARGE ? "downstream_rq_too_large" : "downstream_cx_protocol_error");
          this.state.stats.inc("splitter.invalid_request");
          this.replies.enqueueLocal(errorReply(`ERR ${this.parser.problem}`), true);
          this.ending = true;
          break;
        }
      }
      this.request(input, offset, end);
      offset = end;
    }
    this.run.flush();
    if (this.requests > 0) {
      this.state.requests.add(this.requests);
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
    if (this.replies.accessLog !== undefined) {
      this.replies.requestCommand = name;
      this.replies.requestBytes = end - start;
    }
    if (!this.authed && name !== "auth" && name !== "hello" && name !== "quit") {
      this.countListener("local_reply_unauthorized");
      this.replies.enqueueLocal(NOAUTH);
      return;
    }
    const txn = this.txn;
    // Inside MULTI everything is queued but MULTI, EXEC, DISCARD and WATCH themselves, and QUIT
    // and RESET, which act at once (as in Redis).
    if (txn?.multi && (info === undefined || ((info.kind !== "transaction" || name === "unwatch") && name !== "quit" && name !== "reset"))) {
      commandInTransaction(this, txn, name, info, b, start, end);
      return;
    }
    if (info === undefined) {
      this.state.stats.inc("splitter.unknown_command");
      this.replies.enqueueLocal(unknownCommand(name, b, p));
      return;
    }
    switch (info.kind) {
      case "key":
      case "numkeys":
      case "streams":
        return keyedCommand(this, name, info, b, start, end);
      case "split":
        return splitCommand(this, name, info, b, start, end);
      case "local":
        return connectionCommand(this, name, b);
      case "transaction":
        return transactionCommand(this, name, info, b, start, end);
      case "no-key":
        return noKeyCommand(this, name, b, start, end);
      case "unsupported":
        return this.unsupported(name);
    }
  }

  private onClose(): void {
    this.replies.closed = true;
    this.leftover = null;
    const ctx = this.state.context;
    ctx.stats.dec("downstream_cx_active");
    ctx.connections.delete(this);
    releaseTransaction(this, true);
    // Blocking commands still waiting hold pinned connections: close them.
    const blocked = this.replies.blocked;
    for (const p of blocked) {
      const r = p.release;
      p.release = null;
      if (r) r.node.releaseDedicated(r.connection, true);
    }
    blocked.clear();
    this.replies.onClose();
  }
}
