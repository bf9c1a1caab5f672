import type { CodecFactory, CodecOptions } from "../../codec/codec.ts";
import { ThriftCodec } from "./codec.ts";

/** One codec per connection; the returned codec also counts `mutationsIgnored`. */
export const createThriftCodec = ((options?: CodecOptions) => new ThriftCodec(options)) satisfies CodecFactory;
