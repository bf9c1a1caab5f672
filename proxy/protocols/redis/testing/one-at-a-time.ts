/**
 * A raw RESP connection that sends one command and waits for its whole reply before the next,
 * as redis-cli and redis-py do: the way to see a proxy that holds a reply back. A command
 * answered by nothing within `timeoutMs` rejects with the command named.
 */
import { connect, type Socket } from "node:net";
import { encodeCommand, replyEnd } from "../resp.ts";

export class OneAtATime {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private readonly closed: Promise<void>;
  isClosed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<OneAtATime> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new OneAtATime(s)));
      s.once("error", reject);
    });
  }

  /** Sends `args` and resolves with the raw reply (one RESP value). */
  send(args: Array<string | Buffer>, timeoutMs = 2000): Promise<string> {
    this.write(args);
    return this.reply(`${args.map(String).join(" ")}`, timeoutMs);
  }

  /** Sends a command without waiting (to pipeline a few on purpose). */
  write(args: Array<string | Buffer>): void {
    this.socket.write(encodeCommand(args.map((a) => (typeof a === "string" ? Buffer.from(a) : a))));
  }

  /** Sends bytes as they are (malformed input, inline commands). */
  writeRaw(bytes: string): void {
    this.socket.write(bytes);
  }

  /** The next whole reply; `what` names the command in the timeout error. */
  reply(what: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no reply to "${what}" within ${timeoutMs} ms${this.buffered.length ? `; partial ${JSON.stringify(this.buffered.toString())}` : ""}`));
      }, timeoutMs);
      const check = () => {
        const end = this.buffered.length === 0 ? -1 : replyEnd(this.buffered, 0, this.buffered.length);
        if (end > 0) {
          const out = this.buffered.subarray(0, end).toString();
          this.buffered = this.buffered.subarray(end);
          clearTimeout(timer);
          this.waiter = null;
          resolve(out);
        } else if (this.isClosed) {
          clearTimeout(timer);
          this.waiter = null;
          reject(new Error(`connection closed with no reply to "${what}"`));
        }
      };
      this.waiter = check;
      check();
    });
  }

  /** Resolves when the proxy closes the connection; rejects if it is still open after `timeoutMs`. */
  closedWithin(timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open ${timeoutMs} ms later`)), timeoutMs);
      void this.closed.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
