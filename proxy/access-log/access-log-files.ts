import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { AccessLogEntry, AccessLogSink } from "./access-log-entry.ts";

/** The path Istio's default access log (and Aeraki's) writes to. */
export const STDOUT_PATH = "/dev/stdout";

/**
 * The proxy's open access log files, one stream per path whichever listeners share it. Lines
 * are appended through the stream's own buffer, so writing never waits on the disk.
 * `/dev/stdout` is where a sidecar in a pod writes (collected by the container runtime); a proxy
 * whose stdout carries its own protocol is given a file to write those lines to instead.
 */
export class AccessLogFiles {
  private readonly open = new Map<string, FileSink>();

  constructor(private readonly stdoutPath?: string) {}

  sink(path: string): AccessLogSink {
    const target = path === STDOUT_PATH && this.stdoutPath !== undefined ? this.stdoutPath : path;
    let s = this.open.get(target);
    if (s === undefined) {
      s = new FileSink(target);
      this.open.set(target, s);
    }
    return s;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.open.values()].map((s) => s.flush()));
  }

  async close(): Promise<void> {
    const closing = [...this.open.values()].map((s) => s.close());
    this.open.clear();
    await Promise.all(closing);
  }
}

class FileSink implements AccessLogSink {
  private readonly stream: WriteStream | NodeJS.WriteStream;

  constructor(path: string) {
    if (path === STDOUT_PATH) this.stream = process.stdout;
    else {
      mkdirSync(dirname(path), { recursive: true });
      this.stream = createWriteStream(path, { flags: "a" });
      // A full disk or a removed directory must not take the proxy down: the lines are lost.
      this.stream.on("error", () => {});
    }
  }

  write(entry: AccessLogEntry): void {
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  /** A write's callback runs once it and every write before it were handed to the file. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.stream.write("", () => resolve()));
  }

  close(): Promise<void> {
    if (this.stream === process.stdout) return Promise.resolve();
    return new Promise((resolve) => (this.stream as WriteStream).end(() => resolve()));
  }
}
