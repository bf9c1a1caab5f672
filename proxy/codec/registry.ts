import type { CodecFactory } from "./codec.ts";

/**
 * Codecs by name. A listener names its codec (`thrift`, or Aeraki's
 * `aeraki.meta_protocol.codec.thrift`); both spellings resolve here.
 */
export class CodecRegistry {
  private readonly factories = new Map<string, CodecFactory>();

  register(name: string, factory: CodecFactory): this {
    this.factories.set(name, factory);
    return this;
  }

  get(name: string): CodecFactory | undefined {
    return this.factories.get(name) ?? this.factories.get(name.replace(/^aeraki\.meta_protocol\.codec\./, ""));
  }

  names(): string[] {
    return [...this.factories.keys()];
  }
}
