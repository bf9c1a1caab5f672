import type { MergeKind } from "./commands.ts";
import { arrayHeader, errorReply, integerReply, NEED_MORE, OK, parseIntAt, replyEnd } from "./resp.ts";
import { Redirectable, type Pending, type ReplySink } from "./pending.ts";

/**
 * A multi-key command (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) whose keys live on different
 * servers or slots: one sub-command per group, replies merged in the client's key order.
 * MGET → one array, elements in key order; DEL/EXISTS/TOUCH/UNLINK → the sum; MSET → OK when
 * every part is OK. The first error reply of any part is the reply.
 */
export class SplitRequest {
  private readonly replies: Array<Buffer | undefined>;
  private left: number;

  constructor(
    private readonly pending: Pending,
    private readonly merge: MergeKind,
    /** For each part, the positions (in the client's key order) of its keys. */
    private readonly positions: ReadonlyArray<ReadonlyArray<number>>,
    private readonly keyCount: number,
    private readonly sink: ReplySink,
  ) {
    this.replies = new Array(positions.length);
    this.left = positions.length;
  }

  part(index: number): SplitPart {
    return new SplitPart(this, index, this.sink);
  }

  onPart(index: number, reply: Buffer): void {
    if (this.replies[index] !== undefined) return;
    this.replies[index] = reply;
    if (--this.left === 0) this.pending.deliver(this.merged());
  }

  private merged(): Buffer {
    for (const r of this.replies) if (r![0] === 45 || r![0] === 33) return r!;
    switch (this.merge) {
      case "sum": {
        let total = 0;
        for (const r of this.replies) {
          if (r![0] !== 58) return errorReply("ERR unexpected reply from upstream");
          total += parseIntAt(r!, 1, r!.length - 2);
        }
        return integerReply(total);
      }
      case "ok":
        return OK;
      case "array": {
        const elements: Buffer[] = new Array(this.keyCount);
        for (let part = 0; part < this.replies.length; part++) {
          const r = this.replies[part]!;
          const pos = this.positions[part]!;
          // *<n>\r\n then n elements.
          let p = r.indexOf(10) + 1;
          const n = parseIntAt(r, 1, p - 2);
          if (r[0] !== 42 || n !== pos.length) return errorReply("ERR unexpected reply from upstream");
          for (let i = 0; i < n; i++) {
            const end = replyEnd(r, p, r.length);
            if (end < 0 || end === NEED_MORE) return errorReply("ERR unexpected reply from upstream");
            elements[pos[i]!] = r.subarray(p, end);
            p = end;
          }
        }
        return Buffer.concat([arrayHeader(this.keyCount), ...elements]);
      }
    }
  }
}

export class SplitPart extends Redirectable {
  constructor(
    private readonly parent: SplitRequest,
    private readonly index: number,
    private readonly owner: ReplySink,
  ) {
    super();
  }

  sink(): ReplySink {
    return this.owner;
  }

  deliver(reply: Buffer): void {
    this.parent.onPart(this.index, reply);
  }
}
