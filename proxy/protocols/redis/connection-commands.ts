/**
 * The "local" commands that touch the client connection itself: QUIT, AUTH, HELLO, RESET and
 * INFO (forwarded where the catch-all has one server). The rest are answered by localReply.
 * Inside MULTI these are queued and evaluated at EXEC (localCommandReply), except QUIT and
 * RESET, which act at once as in Redis.
 */
import { encodeCommand, errorReply, OK } from "./resp.ts";
import type { RedisDownstream } from "./downstream.ts";
import { BAD_CLIENT_NAME, helloReply, isValidClientName, localReply, RESET_REPLY } from "./local-commands.ts";
import { releaseTransaction } from "./transactions.ts";

const WRONGPASS = errorReply("WRONGPASS invalid username-password pair or user is disabled.");

export function connectionCommand(d: RedisDownstream, name: string, b: Buffer): void {
  const p = d.parser;
  const args: Buffer[] = [];
  for (let i = 1; i < p.argc; i++) args.push(b.subarray(p.argStart[i], p.argEnd[i]));
  switch (name) {
    case "quit":
      d.replies.enqueueLocal(OK, true);
      d.ending = true;
      return;
    case "reset":
      releaseTransaction(d, true);
      d.local.protocol = 2;
      d.authed = d.router.config.downstreamAuth === undefined;
      return void d.replies.enqueueLocal(RESET_REPLY);
    case "info": {
      // One server behind the catch-all: its own INFO is the truthful answer.
      const route = d.router.catchAll;
      const up = route ? d.state.upstream(route.cluster) : undefined;
      if (up !== undefined && up.single !== null) {
        d.run.flush();
        up.single.connection(d.local.protocol).send(encodeCommand([b.subarray(p.argStart[0], p.argEnd[0]), ...args]), d.replies.enqueue(name));
        return;
      }
      break;
    }
  }
  d.replies.enqueueLocal(localCommandReply(d, name, args));
}

/** The reply to a local command other than QUIT and RESET, applying its effect; also used at EXEC. */
export function localCommandReply(d: RedisDownstream, name: string, args: Buffer[]): Buffer {
  if (name === "auth") return auth(d, args);
  if (name === "hello") return hello(d, args);
  return localReply(name, args, d.local) ?? errorReply(`ERR unsupported command '${name}'`);
}

function auth(d: RedisDownstream, args: Buffer[]): Buffer {
  const want = d.router.config.downstreamAuth;
  if (args.length < 1 || args.length > 2) return errorReply("ERR wrong number of arguments for 'auth' command");
  if (want === undefined) return errorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
  const user = args.length === 2 ? args[0]!.toString() : undefined;
  const password = args[args.length - 1]!.toString();
  const userOk = want.username === undefined ? user === undefined || user === "default" : user === want.username;
  if (userOk && password === want.password) {
    d.authed = true;
    return OK;
  }
  d.state.stats.inc("downstream_auth_fail");
  d.countListener("local_reply_unauthorized");
  return WRONGPASS;
}

function hello(d: RedisDownstream, args: Buffer[]): Buffer {
  let protocol = d.local.protocol;
  if (args.length > 0) {
    const v = Number(args[0]!.toString());
    if (v !== 2 && v !== 3) return errorReply("NOPROTO unsupported protocol version");
    protocol = v;
  }
  for (let i = 1; i < args.length; i++) {
    const opt = args[i]!.toString().toLowerCase();
    if (opt === "auth" && i + 2 < args.length + 0 + 1 && args[i + 2] !== undefined) {
      const r = auth(d, [args[i + 1]!, args[i + 2]!]);
      if (r !== OK) return r;
      i += 2;
    } else if (opt === "setname" && args[i + 1] !== undefined) {
      if (!isValidClientName(args[i + 1]!)) return BAD_CLIENT_NAME;
      d.local.name = args[i + 1]!.toString();
      i += 1;
    } else return errorReply(`ERR Syntax error in HELLO option '${opt}'`);
  }
  if (!d.authed)
    return errorReply(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  d.local.protocol = protocol as 2 | 3;
  return helloReply(d.local);
}
