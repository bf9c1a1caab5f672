/**
 * A count added to on every request and written to its stat once per event-loop turn, after
 * the turn's reads (setImmediate): a stat update costs three Map operations, a request only an
 * addition. Every reply of the turn is written later, so a client never sees a reply before
 * the count that includes its request.
 */
export class TurnCounter {
  private count = 0;

  constructor(private readonly report: (n: number) => void) {}

  add(n: number): void {
    if (this.count === 0 && queue.push(this) === 1) setImmediate(flushAll);
    this.count += n;
  }

  flush(): void {
    const n = this.count;
    this.count = 0;
    if (n !== 0) this.report(n);
  }
}

const queue: TurnCounter[] = [];

function flushAll(): void {
  try {
    for (let i = 0; i < queue.length; i++) queue[i]!.flush();
  } finally {
    queue.length = 0;
  }
}
