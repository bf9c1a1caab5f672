const STARTING_PARENT = process.ppid;

/**
 * Calls `onGone` once when this process's parent exits (the process is re-parented). `npx
 * meshsim` runs meshsim under `sh -c`, and a SIGINT sent to npx's PID is passed to that shell,
 * which dies of it without passing it on: meshsim must notice on its own, or it and everything
 * it started run on, orphaned. Returns a function that stops watching.
 */
export function watchParent(onGone: () => void, intervalMs = 250): () => void {
  // The parent this process started with: had it gone while the topology was still coming up,
  // the current parent is already init, and comparing with it would never fire.
  const parent = STARTING_PARENT;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
