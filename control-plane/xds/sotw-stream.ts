/**
 * State-of-the-world ADS. CDS and LDS are wildcard unless names are given, and every response
 * of those types carries the full set; EDS and RDS honour resource_names and, as the xDS
 * protocol allows for these types, a response carries only the resources the proxy does not
 * hold yet. Every response carries the snapshot version and a fresh nonce; a request echoing
 * the latest nonce is an ACK (a NACK when it has error_detail); one echoing an older nonce is
 * stale and ignored. Bodies are shared between proxies with the same view and only the nonce is
 * added per proxy; a request repeating the names of the previous one is not decoded further.
 */
import { createHash } from "node:crypto";
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { AdsStream } from "./ads-stream.ts";
import { TYPE_ORDER, type Snapshot, type SnapshotEntry, type TypeUrl } from "./snapshot-cache.ts";
import { internNames, namesId, Subscription } from "./subscription.ts";
import { decodeNames, encodeSotwBody, type DiscoveryRequest } from "./wire.ts";

const FULL_STATE_TYPES: ReadonlySet<string> = new Set([TYPE_URL.cluster, TYPE_URL.listener]);

/** Bodies (and lists of entries) shared by every proxy with the same view of one snapshot. */
const sharedBodies = new WeakMap<Snapshot, Map<string, Buffer | SnapshotEntry[]>>();

function shared<T extends Buffer | SnapshotEntry[]>(snapshot: Snapshot, key: string, build: () => T): T {
  let bodies = sharedBodies.get(snapshot);
  if (!bodies) sharedBodies.set(snapshot, (bodies = new Map()));
  let body = bodies.get(key) as T | undefined;
  if (!body) bodies.set(key, (body = build()));
  return body;
}

const rawNames = new Map<string, Buffer>();

/** The names in one interned resource_names encoding: decoded, sorted and interned once, not per proxy. */
const namesOfRaw = new WeakMap<Buffer, { names: ReadonlySet<string>; star: boolean; empty: boolean }>();

function parsedNames(raw: Buffer | undefined, given: string[] | undefined): { names: ReadonlySet<string>; star: boolean; empty: boolean } {
  const cached = raw && !given ? namesOfRaw.get(raw) : undefined;
  if (cached) return cached;
  const all = given ?? decodeNames(raw);
  const names = all.filter((n) => n !== "*");
  const parsed = { names: internNames([...names].sort()), star: all.includes("*"), empty: names.length === 0 };
  if (raw && !given) namesOfRaw.set(raw, parsed);
  return parsed;
}

/** One copy per distinct resource_names encoding (thousands of proxies repeat the same one). */
function internRaw(raw: Buffer): Buffer {
  const key = createHash("sha1").update(raw).digest("base64");
  let copy = rawNames.get(key);
  if (!copy) {
    if (rawNames.size > 10_000) rawNames.clear();
    rawNames.set(key, (copy = Buffer.from(raw)));
  }
  return copy;
}

export class SotwStream extends AdsStream<DiscoveryRequest> {
  /** The names this stream's subscriptions last asked for, as received: what its next ACKs will repeat. */
  namesHeld(): Buffer[] {
    const out: Buffer[] = [];
    for (const sub of this.subs.values()) if (sub.namesRaw) out.push(sub.namesRaw);
    return out;
  }

  onRequest(req: DiscoveryRequest): void {
    this.identify(req.node);
    const typeUrl = req.type_url as TypeUrl;
    if (!TYPE_ORDER.includes(typeUrl)) return;
    let sub = this.subs.get(typeUrl);
    const sameRaw = sub?.namesRaw !== undefined && req.names_raw !== undefined && sub.namesRaw.equals(req.names_raw);
    if (sub && req.response_nonce) {
      // The latest response was acknowledged already, yet the proxy asks again for the same names:
      // Envoy does this when clusters it holds were replaced and warm up again, and they need their
      // endpoints resent (a request with other names is a resubscription, handled below).
      const asksAgain = sameRaw && req.response_nonce === sub.lastNonce && !sub.pendingAck && !FULL_STATE_TYPES.has(typeUrl);
      if (!this.answer(sub, req.response_nonce, req.error_detail)) return;
      if (asksAgain) {
        sub.forgetAll();
        this.push(sub, this.cache.current());
        return;
      }
      if (sameRaw || (req.names_raw === undefined && sub.namesRaw === undefined)) return;
    }
    const raw = req.names_raw ? internRaw(req.names_raw) : undefined;
    const { names: interned, star, empty } = parsedNames(raw, req.resource_names);
    const wildcard = FULL_STATE_TYPES.has(typeUrl) && (empty || star);
    if (!sub) {
      sub = new Subscription(typeUrl, wildcard, this.namespace);
      this.subs.set(typeUrl, sub);
    }
    sub.namesRaw = raw;
    if (req.response_nonce && sub.wildcard === wildcard && sub.names === interned) return;
    sub.wildcard = wildcard;
    sub.names = interned;
    // A (re)subscription always gets an answer, even when nothing changed for it.
    sub.wireVersion = undefined;
    this.push(sub, this.cache.current());
  }

  protected push(sub: Subscription, snapshot: Snapshot): void {
    const fresh = sub.holdsNothing();
    const view = `${sub.typeUrl}|${this.namespace ?? ""}|${sub.wildcard}|${namesId(sub.names)}`;
    // A proxy holding nothing lacks all it wants: the same list for everyone with its view.
    const diff = fresh ? { upserts: shared(snapshot, `desired|${view}`, () => sub.desired(snapshot)), removals: [] } : sub.diff(snapshot);
    const endpoints = this.subs.get(TYPE_URL.endpoint);
    if (sub.typeUrl === TYPE_URL.cluster && diff.upserts.length > 0 && endpoints && !endpoints.holdsNothing()) {
      // Envoy replaces a changed cluster with a new one that warms until it gets endpoints, even
      // unchanged ones: the endpoint push that follows (TYPE_ORDER) resends them.
      for (const c of diff.upserts) endpoints.forget(c.name);
    }
    const nothing = diff.upserts.length === 0 && (diff.removals.length === 0 || !FULL_STATE_TYPES.has(sub.typeUrl));
    if (nothing && sub.wireVersion !== undefined) {
      sub.synced(snapshot);
      this.carry(sub, snapshot);
      return;
    }
    let body: Buffer;
    if (FULL_STATE_TYPES.has(sub.typeUrl) || fresh) {
      body = shared(snapshot, `full|${view}`, () => this.encode(snapshot, sub.typeUrl, sub.desired(snapshot)));
    } else if (sub.inSyncBefore(snapshot)) {
      // Everyone in sync with the previous snapshot gets the same change.
      body = shared(snapshot, `change|${view}`, () => this.encode(snapshot, sub.typeUrl, diff.upserts));
    } else body = this.encode(snapshot, sub.typeUrl, diff.upserts);
    sub.synced(snapshot);
    const nonce = this.nextNonce();
    this.send(sub, snapshot, nonce, { body, nonce });
  }

  private encode(snapshot: Snapshot, typeUrl: string, entries: readonly SnapshotEntry[]): Buffer {
    return encodeSotwBody(
      snapshot.version,
      typeUrl,
      entries.map((e) => e.any),
    );
  }
}
