/**
 * Reading a parsed request's arguments in place: key positions, option words, prefix removal
 * and the unknown-command message. Arguments are offsets into the client's buffer (see
 * RequestParser), so nothing here decodes a whole command.
 */
import { keyIndexes, type CommandInfo } from "./commands.ts";
import { encodeCommand, errorReply, parseIntAt, type RequestParser } from "./resp.ts";
import type { RedisRouter } from "./router.ts";

/** Argument indexes of the command's keys, or why they cannot be found. */
export function keysOf(p: RequestParser, info: CommandInfo, b: Buffer): number[] | string {
  return keyIndexes(
    info,
    p.argc,
    (i) => parseIntAt(b, p.argStart[i]!, p.argEnd[i]!),
    (i, word) => p.argEnd[i]! - p.argStart[i]! === word.length && b.toString("latin1", p.argStart[i]!, p.argEnd[i]!).toLowerCase() === word,
  );
}

/** Whether an argument after the name is `word` (lower case), in any letter case. */
export function hasWord(p: RequestParser, b: Buffer, word: string): boolean {
  for (let i = 1; i < p.argc; i++) if (p.argEnd[i]! - p.argStart[i]! === word.length && b.toString("latin1", p.argStart[i]!, p.argEnd[i]!).toLowerCase() === word) return true;
  return false;
}

/** The command with its route's prefix cut from each key argument. */
export function stripPrefixes(p: RequestParser, router: RedisRouter, b: Buffer, keys: number[]): Buffer {
  const cut = new Set(keys);
  const args: Buffer[] = [];
  for (let i = 0; i < p.argc; i++) {
    const s = p.argStart[i]!;
    const e = p.argEnd[i]!;
    const r = cut.has(i) ? router.route(b, s, e) : undefined;
    args.push(r?.removePrefix ? b.subarray(s + r.prefix.length, e) : b.subarray(s, e));
  }
  return encodeCommand(args);
}

/** Redis's reply to a command it does not know, quoting the first arguments. */
export function unknownCommand(name: string, b: Buffer, p: RequestParser): Buffer {
  const args: string[] = [];
  for (let i = 1; i < p.argc && i < 4; i++) args.push(`'${b.toString("utf8", p.argStart[i], p.argEnd[i])}'`);
  return errorReply(`ERR unknown command '${name}', with args beginning with: ${args.join(" ")}${args.length ? " " : ""}`.trimEnd());
}
