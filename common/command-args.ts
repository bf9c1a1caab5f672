/**
 * Argument parsing for every `meshsim` command, on node:util's parseArgs: options are declared
 * per command, unknown ones and missing values are errors that name the command's options.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MeshsimError } from "./errors.ts";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

export interface CommandArgs<O extends OptionSpecs> {
  values: { [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

export function parseCommandArgs<O extends OptionSpecs>(command: string, argv: readonly string[], options: O): CommandArgs<O> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as CommandArgs<O>["values"], positionals };
  } catch (err) {
    const known = Object.keys(options)
      .map((n) => `--${n}`)
      .join(", ");
    const reason = (err as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new MeshsimError("INVALID_INPUT", `${command}: ${reason}${known ? ` (options: ${known})` : ""}`);
  }
}

/** Comma-separated or repeated values (`--tag a,b --tag c`) as one list. */
export function listValues(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}
