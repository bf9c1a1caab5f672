/**
 * Broker address rewriting, shared by the Metadata, FindCoordinator and DescribeCluster response
 * rewriters: each `host:STRING port:INT32` pair whose "host:port" is in the map is replaced by the
 * proxy's listener for that broker, so that clients only ever dial the proxy. The frame is
 * rebuilt from slices of the original around the replaced pairs; nothing else is re-encoded.
 */
import { type Cursor, Writer } from "../wire.ts";

export type BrokerAddressMap = Readonly<Record<string, { host: string; port: number }>>;

export interface RewriteCounts {
  rewritten: number;
  unknown: number;
}

export class FrameRebuilder {
  private readonly parts: Buffer[] = [];
  private last = 0;
  readonly counts: RewriteCounts = { rewritten: 0, unknown: 0 };

  constructor(readonly frame: Buffer) {}

  /** Reads `host port` at the cursor and replaces them when the map knows the address. */
  hostPort(c: Cursor, compact: boolean, map: BrokerAddressMap): void {
    const start = c.at;
    const host = c.string(compact);
    const port = c.int32();
    const target = map[`${host}:${port}`];
    if (target === undefined) {
      this.counts.unknown++;
      return;
    }
    this.counts.rewritten++;
    this.parts.push(this.frame.subarray(this.last, start), new Writer(target.host.length + 8).string(target.host, compact).int32(target.port).toBuffer());
    this.last = c.at;
  }

  /** The new frame with its size prefix fixed, or the original when nothing changed. */
  finish(): Buffer {
    if (this.parts.length === 0) return this.frame;
    this.parts.push(this.frame.subarray(this.last));
    const out = Buffer.concat(this.parts);
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }
}
