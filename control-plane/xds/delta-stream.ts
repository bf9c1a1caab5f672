/**
 * Incremental (delta) ADS: the proxy subscribes and unsubscribes names per type (CDS and LDS
 * start as wildcard when the first request names nothing), may say which versions it already
 * holds (initial_resource_versions, after a reconnect), and each response carries only the
 * resources that changed plus the names removed. ACK/NACK work as in state of the world, by
 * nonce.
 */
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { AdsStream } from "./ads-stream.ts";
import { TYPE_ORDER, type Snapshot, type TypeUrl } from "./snapshot-cache.ts";
import { internNames, namesId, Subscription } from "./subscription.ts";
import { encodeDeltaBody, type DeltaDiscoveryRequest } from "./wire.ts";

/** First full bodies, shared by every proxy subscribing with the same view of one snapshot. */
const freshBodies = new WeakMap<Snapshot, Map<string, Buffer>>();

const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URL.cluster, TYPE_URL.listener]);

export class DeltaStream extends AdsStream<DeltaDiscoveryRequest> {
  onRequest(req: DeltaDiscoveryRequest): void {
    this.identify(req.node);
    const typeUrl = req.type_url as TypeUrl;
    if (!TYPE_ORDER.includes(typeUrl)) return;
    const subscribe = req.resource_names_subscribe ?? [];
    const unsubscribe = req.resource_names_unsubscribe ?? [];
    let sub = this.subs.get(typeUrl);
    let changed = false;
    if (!sub) {
      sub = new Subscription(typeUrl, (WILDCARD_TYPES.has(typeUrl) && subscribe.length === 0) || subscribe.includes("*"), this.namespace);
      this.subs.set(typeUrl, sub);
      const initial = req.initial_resource_versions ?? {};
      if (Object.keys(initial).length > 0) sub.setKnown(initial);
      changed = true;
    } else if (req.response_nonce) {
      if (!this.answer(sub, req.response_nonce, req.error_detail) && subscribe.length === 0 && unsubscribe.length === 0) return;
    }
    if (subscribe.length > 0 || unsubscribe.length > 0) {
      const names = new Set(sub.names);
      for (const name of subscribe) {
        if (name === "*") sub.wildcard = true;
        else names.add(name);
      }
      for (const name of unsubscribe) {
        if (name === "*") sub.wildcard = false;
        names.delete(name);
        sub.forget(name);
      }
      sub.names = internNames([...names].sort());
      changed = true;
    }
    if (!changed) return;
    const first = sub.wireVersion === undefined;
    this.push(sub, this.cache.current(), first);
  }

  protected push(sub: Subscription, snapshot: Snapshot, force = false): void {
    const fresh = sub.holdsNothing();
    const diff = sub.diff(snapshot);
    sub.synced(snapshot);
    if (diff.upserts.length === 0 && diff.removals.length === 0 && !force) {
      this.carry(sub, snapshot);
      return;
    }
    const encode = () => encodeDeltaBody(snapshot.version, sub.typeUrl, diff.upserts, diff.removals);
    let body: Buffer;
    if (fresh) {
      let bodies = freshBodies.get(snapshot);
      if (!bodies) freshBodies.set(snapshot, (bodies = new Map()));
      const key = `${sub.typeUrl}|${this.namespace ?? ""}|${sub.wildcard}|${namesId(sub.names)}`;
      body = bodies.get(key) ?? encode();
      bodies.set(key, body);
    } else body = encode();
    const nonce = this.nextNonce();
    this.send(sub, snapshot, nonce, { body, nonce });
  }
}
