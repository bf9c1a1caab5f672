import type { CodecFactory, CodecOptions } from "../../codec/codec.ts";
import { DubboCodec } from "./codec.ts";

/** One codec per connection; the returned codec also counts `mutationsIgnored`. */
export const createDubboCodec = ((options?: CodecOptions) => new DubboCodec(options)) satisfies CodecFactory;
