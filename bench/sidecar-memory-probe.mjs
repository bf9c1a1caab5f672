/**
 * Preloaded into the processes of the sidecar memory bench (NODE_OPTIONS=--import): a proxy
 * process answers SIGUSR2 by writing its V8 heap figures to `<dir>/<pid>.json`, where `dir` is
 * MESHSIM_MEMORY_PROBE_DIR. Other processes are left alone.
 */
import { renameSync, writeFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";

const dir = process.env.MESHSIM_MEMORY_PROBE_DIR;
if (dir && process.argv.some((arg) => /proxy[-/]main/.test(arg))) {
  process.on("SIGUSR2", () => {
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
    const file = `${dir}/${process.pid}.json`;
    // Written aside and renamed, so the reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ heapTotal: usage.heapTotal, heapUsed: usage.heapUsed, external: usage.external, spaces }));
    renameSync(`${file}.tmp`, file);
  });
}
