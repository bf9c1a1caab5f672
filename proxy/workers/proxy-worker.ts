import cluster from "node:cluster";
import { proxyAdminView } from "../admin/admin-view.ts";
import type { Proxy } from "../proxy.ts";
import type { ConfigUpdate, PrimaryMessage, WorkerMessage } from "./worker-messages.ts";

/**
 * A worker of a proxy started with `--concurrency N`: a whole Proxy whose listeners share their
 * sockets with the other workers (node:cluster hands each new connection to one of them), fed
 * by the primary, which holds the one xDS stream and the admin endpoint. It exits when the
 * primary goes away.
 */
export function serveAsWorker(proxy: Proxy): void {
  const view = proxyAdminView(proxy);
  const send = (message: WorkerMessage) => process.send?.(message);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Closing the Proxy destroys its connections; a close that hangs must not keep the worker.
    setTimeout(() => process.exit(0), 2000).unref();
    proxy.close().finally(() => process.exit(0));
  };
  process.on("message", (message: PrimaryMessage) => {
    if (message.type === "shutdown") return stop();
    const answer = message.type === "config" ? apply(proxy, message.update).then(() => undefined) : view[message.what]();
    answer.then(
      (value) => send({ type: "reply", seq: message.seq, value }),
      (err: Error) => send({ type: "reply", seq: message.seq, error: err.message }),
    );
  });
  // The primary went away (killed outright): nobody is left to serve for.
  process.on("disconnect", stop);
  // node:cluster reports a send on a closed channel as an error event; exiting is all there is to do.
  cluster.worker?.on("error", () => undefined);
  send({ type: "started", listeners: proxy.listeners.addresses() });
}

/** A worker whose proxy could not start tells the primary why, then exits. */
export function failAsWorker(error: Error): void {
  process.send?.({ type: "failed", error: error.message } satisfies WorkerMessage, () => process.exit(2));
  setTimeout(() => process.exit(2), 1000).unref();
}

async function apply(proxy: Proxy, update: ConfigUpdate): Promise<void> {
  switch (update.kind) {
    case "listeners":
      return proxy.setListeners(update.items);
    case "clusters":
      return proxy.setClusters(update.items);
    case "endpoints":
      return proxy.setEndpoints(update.items);
    case "routes":
      return proxy.setRoutes(update.items);
  }
}
