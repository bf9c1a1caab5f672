/**
 * Reads xDS responses off a gRPC stream as they arrive, keeping only their envelope: version
 * (field 1: version_info, or system_version_info in delta), type_url (4) and nonce (5). The
 * resources (field 2, megabytes in a first configuration) are skipped in place, chunk by chunk:
 * nothing is joined or decoded, so a thousand simulated proxies cost little more than their
 * sockets.
 */
export interface Envelope {
  version: string;
  typeUrl: string;
  nonce: string;
}

const KEPT_FIELDS = new Set([1, 4, 5]);
/** Field 2 (resources), length-delimited. */
const RESOURCE_TAG = 0x12;

export class ResponseEnvelopes {
  /** Bytes of the gRPC message prefix still to read (5 at a message boundary). */
  private prefixLeft = 5;
  private prefix = 0;
  /** Bytes of the current message still to read. */
  private messageLeft = 0;
  private varint = 0;
  private varintShift = 0;
  private state: "prefix" | "tag" | "length" | "scalar" | "skip" | "value" = "prefix";
  private field = 0;
  /** Bytes of the current field still to skip or collect. */
  private fieldLeft = 0;
  private value: Buffer[] = [];
  private current: Envelope = { version: "", typeUrl: "", nonce: "" };

  /** Feeds one chunk; `onMessage` gets each response completed by it. */
  push(chunk: Buffer, onMessage: (e: Envelope) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === "prefix") {
        // Byte 0 is the compressed flag (never set by these servers), bytes 1-4 the length.
        const byte = chunk[pos++]!;
        if (this.prefixLeft < 5) this.prefix = this.prefix * 256 + byte;
        if (--this.prefixLeft === 0) {
          this.messageLeft = this.prefix;
          this.prefix = 0;
          this.prefixLeft = 5;
          this.startField();
          if (this.messageLeft === 0) this.finish(onMessage);
        }
        continue;
      }
      if (this.state === "skip" || this.state === "value") {
        const n = Math.min(this.fieldLeft, chunk.length - pos);
        if (this.state === "value") this.value.push(chunk.subarray(pos, pos + n));
        pos += n;
        this.fieldLeft -= n;
        this.messageLeft -= n;
        if (this.fieldLeft === 0) this.endField(onMessage);
        continue;
      }
      if (this.state === "tag" && chunk[pos] === RESOURCE_TAG) {
        // A resource, the bulk of a response: when its length is in this chunk, read tag and
        // length at once and go straight to skipping it.
        const start = pos;
        let p = pos + 1;
        let length = 0;
        for (let shift = 0; p < chunk.length && shift < 35; shift += 7) {
          const byte = chunk[p++]!;
          length += (byte & 0x7f) * 2 ** shift;
          if (byte < 0x80) {
            this.messageLeft -= p - pos;
            pos = p;
            this.field = 2;
            this.fieldLeft = length;
            this.state = "skip";
            if (length === 0) this.endField(onMessage);
            break;
          }
        }
        if (pos !== start) continue;
      }
      // A varint: the tag, a length-delimited field's length, or a scalar field's value.
      const byte = chunk[pos++]!;
      this.messageLeft -= 1;
      this.varint += (byte & 0x7f) * 2 ** this.varintShift;
      this.varintShift += 7;
      if (byte >= 0x80) continue;
      const v = this.varint;
      this.varint = 0;
      this.varintShift = 0;
      if (this.state === "tag") {
        this.field = Math.floor(v / 8);
        const wireType = v & 7;
        if (wireType !== 0 && wireType !== 2) throw new Error(`unexpected wire type ${wireType} for field ${this.field} of a response`);
        this.state = wireType === 0 ? "scalar" : "length";
      } else if (this.state === "scalar") {
        if (this.messageLeft === 0) this.finish(onMessage);
        else this.startField();
      } else {
        this.fieldLeft = v;
        this.state = KEPT_FIELDS.has(this.field) ? "value" : "skip";
        if (v === 0) this.endField(onMessage);
      }
    }
  }

  private startField(): void {
    this.state = "tag";
  }

  private endField(onMessage: (e: Envelope) => void): void {
    if (this.state === "value") {
      const text = Buffer.concat(this.value).toString("utf8");
      this.value = [];
      if (this.field === 1) this.current.version = text;
      else if (this.field === 4) this.current.typeUrl = text;
      else this.current.nonce = text;
    }
    if (this.messageLeft === 0) this.finish(onMessage);
    else this.startField();
  }

  private finish(onMessage: (e: Envelope) => void): void {
    const done = this.current;
    this.current = { version: "", typeUrl: "", nonce: "" };
    this.state = "prefix";
    onMessage(done);
  }
}
