/**
 * How meshsim's child processes (control plane, proxies, fixtures) talk to the process that
 * started them: one JSON line `{"ready":true,...}` on stdout when serving, and exit as soon as
 * stdin closes — so a child never outlives its parent, even one killed with SIGKILL.
 */
export function announceReady(details: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...details })}\n`);
}

export function exitWithParent(shutdown: () => Promise<void> | void): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    Promise.resolve()
      .then(shutdown)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  // In a container the engine is the parent: it stops the process by signal, and stdin is empty.
  if (process.env.MESHSIM_NO_PARENT !== "1") {
    process.stdin.on("end", stop);
    process.stdin.on("close", stop);
    process.stdin.resume();
  }
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/**
 * Reads `--name value` and `--name=value` flags; names in `booleans` take no value ("true").
 * Repeated flags keep the last value; bare words are positional.
 */
export function parseFlags(argv: ReadonlyArray<string>, booleans: ReadonlyArray<string> = []): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      else if (booleans.includes(arg.slice(2))) flags[arg.slice(2)] = "true";
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags[arg.slice(2)] = argv[++i]!;
      else flags[arg.slice(2)] = "true";
    } else positional.push(arg);
  }
  return { flags, positional };
}
