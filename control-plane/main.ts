/**
 * The control plane process:
 *   node --import tsx control-plane/main.ts --xds-port 0 --http-port 0 [--watch <dir>]
 *     [--debounce-ms 20] [--max-debounce-ms 200] [files...]
 * With --watch, a change to a resource file in <dir> is applied without a restart (an invalid
 * change is reported on stderr and changes nothing).
 * Prints one line `{"ready":true,"xdsPort":N,"httpPort":M}` once serving; exits when stdin
 * closes or on SIGTERM.
 */
import { announceReady, exitWithParent, parseFlags } from "../common/child-process-protocol.ts";
import { formatProblem, InvalidInputError } from "../common/errors.ts";
import { startControlPlane } from "./server.ts";

function portFlag(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, got "${value}"`);
  return n;
}

/** Starts the control plane and returns once it is serving; the process then lives until stdin closes. */
export async function runControlPlaneProcess(argv: string[]): Promise<void> {
  const { flags, positional } = parseFlags(argv);
  const ms = (name: string): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of milliseconds, got "${v}"`);
    return n;
  };
  const debounceMs = ms("debounce-ms");
  const maxDebounceMs = ms("max-debounce-ms");
  const cp = await startControlPlane({
    xdsPort: portFlag(flags["xds-port"], "xds-port"),
    httpPort: portFlag(flags["http-port"], "http-port"),
    files: positional,
    ...(flags.watch !== undefined && { watch: flags.watch }),
    ...(debounceMs !== undefined && { debounceMs }),
    ...(maxDebounceMs !== undefined && { maxDebounceMs }),
    onReload: (r) => {
      if (r.problems.length > 0) process.stderr.write(`meshsim control-plane: change in ${flags.watch} not applied:\n${r.problems.map(formatProblem).join("\n")}\n`);
      else if (r.applied.length + r.deleted.length > 0) process.stderr.write(`meshsim control-plane: applied ${r.applied.length}, deleted ${r.deleted.length} from ${flags.watch}\n`);
    },
  });
  exitWithParent(() => cp.close());
  announceReady({ xdsPort: cp.xdsPort, httpPort: cp.httpPort });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runControlPlaneProcess(process.argv.slice(2)).catch((err: Error) => {
    const detail = err instanceof InvalidInputError ? err.message : `${err.message}`;
    process.stderr.write(`meshsim control-plane: ${detail}\n`);
    process.exit(err instanceof InvalidInputError ? 1 : 2);
  });
}
