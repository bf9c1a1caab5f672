import type { CommandInfo } from "./commands.ts";
import { errorReply } from "./resp.ts";
import { hasWord, keysOf, stripPrefixes } from "./command-args.ts";
import type { RedisDownstream } from "./downstream.ts";
import { sendCommand } from "./forward.ts";
import { resolveRoute } from "./resolve-route.ts";

export const CROSSSLOT = errorReply("CROSSSLOT Keys in request don't hash to the same slot");

/**
 * A command whose keys must all be served together ("key", "numkeys", "streams" kinds): every
 * key must take the first key's route and land in its slot or server, else CROSSSLOT.
 */
export function keyedCommand(d: RedisDownstream, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
  const p = d.parser;
  if (info.kind === "key" && info.firstKey === info.lastKey) {
    if (p.argc > info.firstKey && p.argc >= info.minArgs) return singleKeyCommand(d, name, info, b, start, end);
    return d.invalid(`wrong number of arguments for '${name}' command`);
  }
  const keys = keysOf(p, info, b);
  if (typeof keys === "string") return d.invalid(keys);
  if (keys.length === 0) return d.invalid(`'${name}' needs at least one key`);
  const k0 = keys[0]!;
  const resolved = resolveRoute(d, b, p.argStart[k0]!, p.argEnd[k0]!);
  if (resolved.error !== undefined) return void d.replies.enqueueLocal(resolved.error);
  const { route, upstream } = resolved;
  if (keys.length > 1) {
    const group = upstream.groupOf(b, p.argStart[k0]! + (route.removePrefix ? route.prefix.length : 0), p.argEnd[k0]!);
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i]!;
      const other = d.router.route(b, p.argStart[k]!, p.argEnd[k]!);
      if (other === undefined || other.cluster !== route.cluster) return void d.replies.enqueueLocal(CROSSSLOT);
      const g = upstream.groupOf(b, p.argStart[k]! + (other.removePrefix ? other.prefix.length : 0), p.argEnd[k]!);
      if (g !== group) return void d.replies.enqueueLocal(CROSSSLOT);
    }
  }
  const blocking = info.blocking || (name === "xread" || name === "xreadgroup" ? hasWord(p, b, "block") : false);
  const c = d.command.reset(name, info.read, blocking, route, upstream);
  if (route.removePrefix) c.rewritten(stripPrefixes(p, d.router, b, keys)).keyAt(b, p.argStart[k0]! + route.prefix.length, p.argEnd[k0]!);
  else c.received(b, start, end).keyAt(b, p.argStart[k0]!, p.argEnd[k0]!);
  sendCommand(d, c);
}

/** The common case (GET, SET, INCR ...): one key, so nothing to compare and no key list to build. */
function singleKeyCommand(d: RedisDownstream, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
  const p = d.parser;
  const k = info.firstKey;
  const ks = p.argStart[k]!;
  const ke = p.argEnd[k]!;
  const route = d.router.route(b, ks, ke);
  const upstream = route === undefined ? undefined : d.state.upstream(route.cluster);
  if (route === undefined || upstream === undefined) return void d.replies.enqueueLocal(resolveRoute(d, b, ks, ke).error!);
  const c = d.command.reset(name, info.read, info.blocking, route, upstream);
  if (route.removePrefix) c.rewritten(stripPrefixes(p, d.router, b, [k])).keyAt(b, ks + route.prefix.length, ke);
  else c.received(b, start, end).keyAt(b, ks, ke);
  sendCommand(d, c);
}
