import type { Socket } from "node:net";

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Writes through a cork that is lifted at the end of the current tick, so that every message
 * produced while handling one read goes out in a single syscall (pipelined in, pipelined out).
 * Returns what `socket.write` returned, for back-pressure.
 */
export function writeBatched(socket: Socket, bytes: Buffer): boolean {
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  return socket.write(bytes);
}
