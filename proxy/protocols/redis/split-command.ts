/**
 * MGET, MSET, DEL, EXISTS, TOUCH, UNLINK: keys grouped by (cluster, slot or server). One group
 * and no prefix to remove: the command goes as is. Otherwise one sub-command per group, and
 * SplitRequest merges the replies in the client's key order.
 */
import type { CommandInfo } from "./commands.ts";
import { encodeCommand, errorReply } from "./resp.ts";
import { keysOf } from "./command-args.ts";
import type { RedisDownstream } from "./downstream.ts";
import { abortWithFault } from "./faults.ts";
import { dispatchCommand, mirrorCommand } from "./forward.ts";
import type { Pending } from "./pending.ts";
import { resolveRoute } from "./resolve-route.ts";
import type { CompiledRoute } from "./router.ts";
import { SplitRequest } from "./split-merge.ts";
import type { RedisNode, RedisUpstreamCluster } from "./upstream-cluster.ts";

/** The keys of one sub-command: where they sit in the client's key order and in its arguments. */
interface KeyGroup {
  route: CompiledRoute;
  upstream: RedisUpstreamCluster;
  positions: number[];
  args: number[];
  strip: boolean;
}

/** A split command: as the client sent it (`b[start, end)`, parsed by the client's parser) and its keys grouped. */
interface Split {
  name: string;
  info: CommandInfo;
  b: Buffer;
  start: number;
  end: number;
  /** Argument indexes of the keys, in the client's order. */
  keys: number[];
  groups: Map<unknown, KeyGroup>;
}

export function splitCommand(d: RedisDownstream, name: string, info: CommandInfo, b: Buffer, start: number, end: number): void {
  const p = d.parser;
  const keys = keysOf(p, info, b);
  if (typeof keys === "string") return d.invalid(keys);
  const k0 = keys[0]!;
  const first = resolveRoute(d, b, p.argStart[k0]!, p.argEnd[k0]!);
  if (first.error !== undefined) return void d.replies.enqueueLocal(first.error);
  const groups = new Map<unknown, KeyGroup>();
  const notReady: RedisUpstreamCluster[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const resolved = i === 0 ? first : resolveRoute(d, b, p.argStart[k]!, p.argEnd[k]!);
    if (resolved.error !== undefined) return void d.replies.enqueueLocal(resolved.error);
    const { route, upstream } = resolved;
    const ks = p.argStart[k]! + (route.removePrefix ? route.prefix.length : 0);
    let group: unknown;
    if (upstream.whenReady(() => {})) group = upstream.groupOf(b, ks, p.argEnd[k]!);
    else if (!notReady.includes(upstream)) notReady.push(upstream);
    addToGroup(groups, route, upstream, group as number | RedisNode | undefined, i, k);
  }
  if (notReady.length > 0) {
    // Learn the topology first, then split for real.
    const copy = Buffer.from(b.subarray(start, end));
    const pending = d.replies.enqueue(name);
    let left = notReady.length;
    for (const up of notReady) {
      up.whenReady(() => {
        if (--left > 0 || d.closed) return;
        d.parser.parse(copy, 0, copy.length);
        splitWhenReady(d, pending, name, info, copy);
      });
    }
    return;
  }
  const pending = d.replies.enqueue(name);
  sendGroups(d, pending, { name, info, b, start, end, keys, groups });
}

function addToGroup(groups: Map<unknown, KeyGroup>, route: CompiledRoute, upstream: RedisUpstreamCluster, group: number | RedisNode | undefined, position: number, arg: number): void {
  const id = `${route.cluster}\u0000${typeof group === "number" ? group : (group?.key ?? "")}`;
  let g = groups.get(id);
  if (!g) groups.set(id, (g = { route, upstream, positions: [], args: [], strip: false }));
  if (route.removePrefix) g.strip = true;
  g.positions.push(position);
  g.args.push(arg);
}

/** The split once every upstream involved knows its topology (the parser holds `b`, the whole command, again). */
function splitWhenReady(d: RedisDownstream, pending: Pending, name: string, info: CommandInfo, b: Buffer): void {
  const p = d.parser;
  const keys = keysOf(p, info, b) as number[];
  const groups = new Map<unknown, KeyGroup>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const resolved = resolveRoute(d, b, p.argStart[k]!, p.argEnd[k]!);
    if (resolved.error !== undefined) return pending.deliver(resolved.error);
    const { route, upstream } = resolved;
    const group = upstream.groupOf(b, p.argStart[k]! + (route.removePrefix ? route.prefix.length : 0), p.argEnd[k]!);
    addToGroup(groups, route, upstream, group, i, k);
  }
  sendGroups(d, pending, { name, info, b, start: 0, end: b.length, keys, groups });
  d.run.flush();
}

function sendGroups(d: RedisDownstream, pending: Pending, split: Split): void {
  const { name, info, b, keys, groups } = split;
  const p = d.parser;
  const first = groups.values().next().value!;
  if (pending.log !== null) pending.log.routed(first.route, b, p.argStart[keys[0]!]!, p.argEnd[keys[0]!]!);
  // Split commands take ERROR faults; a DELAY fault drawn for one is not applied.
  if (d.router.faults.length > 0 && d.router.fault(name)?.type === "ERROR") return abortWithFault(d, pending);
  const list = [...groups.values()];
  const c = d.command;
  if (list.length === 1 && !list[0]!.strip) {
    const { route, upstream } = list[0]!;
    const k0 = keys[0]!;
    dispatchCommand(d, pending, c.reset(name, info.read, false, route, upstream).received(b, split.start, split.end).keyAt(b, p.argStart[k0]!, p.argEnd[k0]!));
    return;
  }
  d.state.stats.inc("split_requests");
  const cmd = b.subarray(p.argStart[0], p.argEnd[0]);
  const merge = new SplitRequest(
    pending,
    info.merge!,
    list.map((g) => g.positions),
    keys.length,
    d.replies,
  );
  list.forEach((g, index) => {
    const args: Buffer[] = [cmd];
    for (const k of g.args) {
      const r = g.strip ? d.router.route(b, p.argStart[k]!, p.argEnd[k]!) : undefined;
      args.push(b.subarray(p.argStart[k]! + (r?.removePrefix ? r.prefix.length : 0), p.argEnd[k]));
      if (info.step === 2) args.push(b.subarray(p.argStart[k + 1], p.argEnd[k + 1]));
    }
    const bytes = encodeCommand(args);
    const part = merge.part(index);
    const key = args[1]!;
    const node = g.upstream.target(key, 0, key.length, info.read);
    if (node === undefined) return part.deliver(errorReply(`ERR ${g.upstream.error()}`));
    if (g.upstream.isClusterMode || d.router.config.enableRedirection) {
      part.bytes = bytes;
      part.upstream = g.upstream;
      part.protocol = d.local.protocol;
    }
    d.run.flush();
    node.connection(d.local.protocol).send(bytes, part);
    if (g.route.mirrors.length > 0) mirrorCommand(d, c.reset(name, info.read, false, g.route, g.upstream).rewritten(bytes).keyAt(key, 0, key.length), bytes);
  });
}
