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
  process.on("message", (message: PrimaryMessage) => {
    const answer = message.type === "config" ? apply(proxy, message.update).then(() => undefined) : view[message.what]();
    answer.then(
      (value) => send({ type: "reply", seq: message.seq, value }),
      (err: Error) => send({ type: "reply", seq: message.seq, error: err.message }),
    );
  });
  process.on("disconnect", () => {
    proxy.close().finally(() => process.exit(0));
  });
  send({ type: "started", listeners: proxy.listeners.addresses() });
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
