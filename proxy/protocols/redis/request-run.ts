import type { Pending } from "./pending.ts";
import type { RedisUpstreamConnection } from "./upstream-connection.ts";

/**
 * Consecutive requests of one client read for the same upstream connection, gathered so that
 * they leave as one slice of the client's bytes (one sendRun) instead of one send each.
 */
export class RequestRun {
  private connection: RedisUpstreamConnection | null = null;
  private input: Buffer | null = null;
  private start = 0;
  private end = 0;
  /** The run's first request; the others, if any, in `more` (reused: sendRun copies them out). */
  private first: Pending | null = null;
  private readonly more: Pending[] = [];

  /** Queues `pending` on `connection`; bytes adjacent to the current run join it. */
  append(connection: RedisUpstreamConnection, b: Buffer, start: number, end: number, pending: Pending): void {
    if (this.connection === connection && this.input === b && this.end === start) {
      this.end = end;
      if (this.more.length === 0) this.more.push(this.first!);
      this.more.push(pending);
      return;
    }
    this.flush();
    this.connection = connection;
    this.input = b;
    this.start = start;
    this.end = end;
    this.first = pending;
  }

  /** Sends the gathered run; called before anything else is sent for this client, and at the end of each read. */
  flush(): void {
    const c = this.connection;
    if (c === null) return;
    this.connection = null;
    const input = this.input!;
    this.input = null;
    // A read holding exactly the run (one request at pipeline 1) goes as is, without a view.
    const bytes = this.start === 0 && this.end === input.length ? input : input.subarray(this.start, this.end);
    const first = this.first!;
    this.first = null;
    if (this.more.length === 0) c.send(bytes, first);
    else {
      c.sendRun(bytes, this.more);
      this.more.length = 0;
    }
  }
}
