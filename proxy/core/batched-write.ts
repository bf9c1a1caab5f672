import type { Socket } from "node:net";

/**
 * Set while a reader hands over the last message of a read: nothing else from that read will
 * follow in this turn, so a write has no company to wait for.
 */
let lastOfRead = false;

/** Called by readers around the last message a read delivers (see `writeBatched`). */
export function setLastOfRead(value: boolean): void {
  lastOfRead = value;
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Writes what handling one read produces in as few syscalls as possible, without making a lone
 * message wait. While a read still holds more messages, writes go through a cork lifted at the
 * end of the current tick (pipelined in, pipelined out); for the last message of a read (a lone
 * request at light load), a socket not already corked is written at once, which saves the rest
 * of the turn's work on every hop. Returns what `socket.write` returned, for back-pressure.
 */
export function writeBatched(socket: Socket, bytes: Buffer): boolean {
  if (socket.writableCorked === 0 && !lastOfRead) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  return socket.write(bytes);
}
