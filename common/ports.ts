import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Lowest port handed out: clear of the well-known and registered ports services commonly use. */
const FIRST_PORT = 10_000;
/** Processes allocating at once (test workers, a simulator) take ports from different slices. */
const SLICES = 16;

let lastPort: number | undefined;

/**
 * A free TCP port on 127.0.0.1, for where a port must be known before the process that binds it
 * starts (sidecar redirects, brokers); everything else binds port 0 itself and reports the port.
 *
 * Ports come from below the kernel's ephemeral range: a port found by binding 0 lies inside it,
 * where any outgoing connection made before the owner binds (a busy test run makes thousands) can
 * take it as its local port, and the bind then fails with EADDRINUSE. Each process walks its own
 * slice of the range from a random start, probing each port with a bind.
 */
export async function allocatePort(): Promise<number> {
  const range = outsideEphemeralRange();
  if (range === undefined) return bindAny();
  const sliceSize = Math.floor((range.end - range.start) / SLICES);
  const sliceStart = range.start + (process.pid % SLICES) * sliceSize;
  for (let tried = 0; tried < sliceSize; tried++) {
    // Taken before the probe's await, so that concurrent calls walk on to different ports.
    const offset = lastPort === undefined || lastPort < sliceStart || lastPort >= sliceStart + sliceSize ? Math.floor(Math.random() * sliceSize) : lastPort - sliceStart + 1;
    const port = sliceStart + (offset % sliceSize);
    lastPort = port;
    if (await canBind(port)) return port;
  }
  return bindAny();
}

/**
 * Ports no outgoing connection takes: below the kernel's ephemeral range (from FIRST_PORT), or
 * above it when it starts too low to leave room; undefined when neither leaves enough.
 */
function outsideEphemeralRange(): { start: number; end: number } | undefined {
  const [first, last] = ephemeralRange();
  const enough = SLICES * 64;
  if (first - FIRST_PORT >= enough) return { start: FIRST_PORT, end: first };
  if (65_535 - last >= enough) return { start: last + 1, end: 65_536 };
  return undefined;
}

/** The kernel's ephemeral range (Linux), else IANA's 49152–65535. */
function ephemeralRange(): [number, number] {
  try {
    const [first, last] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(first) && Number.isInteger(last)) return [first!, last!];
  } catch {
    // not Linux
  }
  return [49_152, 65_535];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function bindAny(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
