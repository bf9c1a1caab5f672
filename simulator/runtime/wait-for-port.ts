import { connect } from "node:net";
import { MeshsimError } from "../../common/errors.ts";

/** Resolves once `host:port` accepts a TCP connection; `what` names it in the timeout error. */
export async function waitForPort(host: string, port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(host, port))) {
    if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `${what} did not accept connections on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
