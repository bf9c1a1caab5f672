/**
 * State-of-the-world ADS. CDS and LDS are wildcard unless names are given, and every response
 * of those types carries the full set; EDS and RDS honour resource_names and, as the xDS
 * protocol allows for these types, a response carries only the resources the proxy does not
 * hold yet. Every response carries the snapshot version and a fresh nonce; a request echoing
 * the latest nonce is an ACK (a NACK when it has error_detail); one echoing an older nonce is
 * stale and ignored.
 */
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { AdsStream } from "./ads-stream.ts";
import { TYPE_ORDER, type Snapshot, type TypeUrl } from "./snapshot-cache.ts";
import { Subscription } from "./subscription.ts";
import { encodeSotwBody, withNonce, type DiscoveryRequest } from "./wire.ts";

const FULL_STATE_TYPES: ReadonlySet<string> = new Set([TYPE_URL.cluster, TYPE_URL.listener]);

/** Full-state bodies shared by every wildcard proxy with the same namespace. */
const sharedBodies = new WeakMap<Snapshot, Map<string, Buffer>>();

function sameNames(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((n) => a.has(n));
}

export class SotwStream extends AdsStream<DiscoveryRequest> {
  onRequest(req: DiscoveryRequest): void {
    this.identify(req.node);
    const typeUrl = req.type_url as TypeUrl;
    if (!TYPE_ORDER.includes(typeUrl)) return;
    const names = (req.resource_names ?? []).filter((n) => n !== "*");
    const wildcard = FULL_STATE_TYPES.has(typeUrl) && (names.length === 0 || (req.resource_names ?? []).includes("*"));
    let sub = this.subs.get(typeUrl);
    if (sub && req.response_nonce) {
      if (!this.answer(sub, req.response_nonce, req.error_detail)) return;
      if (sub.wildcard === wildcard && sameNames(sub.names, names)) return;
    }
    if (!sub) {
      sub = new Subscription(typeUrl, wildcard);
      this.subs.set(typeUrl, sub);
    }
    sub.wildcard = wildcard;
    sub.names = new Set(names);
    sub.resync();
    // A (re)subscription always gets an answer, even when nothing changed for it.
    sub.wireVersion = undefined;
    this.push(sub, this.cache.current());
  }

  protected push(sub: Subscription, snapshot: Snapshot): void {
    const diff = sub.diff(snapshot, this.namespace);
    if (diff.upserts.length === 0 && diff.removals.length === 0 && sub.wireVersion !== undefined) {
      sub.apply(diff, snapshot);
      this.carry(sub, snapshot);
      return;
    }
    if (!FULL_STATE_TYPES.has(sub.typeUrl)) {
      // EDS/RDS: removals cannot be expressed in state of the world; the proxy drops names it unsubscribes.
      if (diff.upserts.length === 0 && sub.wireVersion !== undefined) {
        sub.apply(diff, snapshot);
        this.carry(sub, snapshot);
        return;
      }
      sub.apply(diff, snapshot);
      const nonce = this.nextNonce();
      this.send(sub, snapshot, nonce, withNonce(encodeSotwBody(snapshot.version, sub.typeUrl, diff.upserts.map((e) => e.any)), nonce));
      return;
    }
    const body = this.fullBody(sub, snapshot);
    sub.known.clear();
    for (const e of sub.desired(snapshot, this.namespace)) sub.known.set(e.name, e.version);
    sub.syncedTo = snapshot.version;
    const nonce = this.nextNonce();
    this.send(sub, snapshot, nonce, withNonce(body, nonce));
  }

  private fullBody(sub: Subscription, snapshot: Snapshot): Buffer {
    if (!sub.wildcard || sub.names.size > 0) {
      return encodeSotwBody(snapshot.version, sub.typeUrl, sub.desired(snapshot, this.namespace).map((e) => e.any));
    }
    let bodies = sharedBodies.get(snapshot);
    if (!bodies) {
      bodies = new Map();
      sharedBodies.set(snapshot, bodies);
    }
    const key = `${sub.typeUrl}|${this.namespace ?? ""}`;
    let body = bodies.get(key);
    if (!body) {
      body = encodeSotwBody(snapshot.version, sub.typeUrl, sub.desired(snapshot, this.namespace).map((e) => e.any));
      bodies.set(key, body);
    }
    return body;
  }
}
