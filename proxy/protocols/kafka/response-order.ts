/**
 * Kafka clients match responses to requests by position as much as by correlation id: a
 * connection's responses must come back in the order of its requests. Answers can be ready out
 * of order in the proxy — a local reply (rate limit, fault abort) while earlier requests are
 * upstream, a delay fault holding one request, two upstream connections — so the downstream codec
 * passes every answer through this queue, which holds an answer until all earlier ones are out.
 *
 * States per correlation id: expected (request decoded, two-way) → held (answer ready, an earlier
 * one missing) → released (written). Requests without a response (Produce acks=0) never enter it.
 */
const EMPTY = Buffer.alloc(0);

export class ResponseOrder {
  private expected: number[] = [];
  private head = 0;
  private readonly held = new Map<number, Buffer>();
  /** Answers that had to wait for an earlier one. */
  heldCount = 0;

  expect(correlationId: number): void {
    this.expected.push(correlationId);
  }

  get pending(): number {
    return this.expected.length - this.head;
  }

  /** Bytes to write now for the answer to `correlationId`: possibly nothing, possibly several answers. */
  release(correlationId: number, bytes: Buffer): Buffer {
    if (this.head === this.expected.length || !this.isExpected(correlationId)) return bytes;
    if (this.expected[this.head] !== correlationId) {
      this.held.set(correlationId, bytes);
      this.heldCount++;
      return EMPTY;
    }
    this.advance();
    if (this.held.size === 0) return bytes;
    const out = [bytes];
    while (this.head < this.expected.length) {
      const next = this.held.get(this.expected[this.head]!);
      if (next === undefined) break;
      this.held.delete(this.expected[this.head]!);
      out.push(next);
      this.advance();
    }
    return out.length === 1 ? bytes : Buffer.concat(out);
  }

  private isExpected(id: number): boolean {
    for (let i = this.head; i < this.expected.length; i++) if (this.expected[i] === id) return true;
    return false;
  }

  private advance(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.expected.length) {
      this.expected = this.expected.slice(this.head);
      this.head = 0;
    }
  }
}
