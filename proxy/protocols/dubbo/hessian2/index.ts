export { HessianFormatError, HessianReader } from "./reader.ts";
export { HessianWriter } from "./writer.ts";
