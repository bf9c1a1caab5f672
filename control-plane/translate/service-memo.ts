/**
 * Reuses a service's translated resources from the previous translation while nothing they are
 * translated from has changed, so a change to one MetaRouter in a thousand-service mesh
 * translates one service, and the snapshot cache, finding the very same objects, compares and
 * encodes nothing else.
 *
 * What counts as "nothing changed" is object identity: the store keeps a resource's object until
 * it is applied again. A service's own inputs are its ServiceEntry and its host's MetaRouter;
 * everything else (DestinationRules, policies, Telemetry, ApplicationProtocols, the set of
 * routed host:ports) is shared: when any of it changes, every service is translated again.
 * That is coarse on purpose: routes read other hosts' DestinationRules and ports, listeners read
 * mesh-wide policies, and a finer dependency list would be one more thing to get wrong.
 */
import type { Resource } from "../resources/kinds.ts";
import type { MetaRouter } from "../resources/meta-router.ts";
import type { ServiceEntry } from "../resources/service-entry.ts";
import { indexOf } from "./index-cache.ts";
import { routedServices, type RoutedService } from "./meta-protocol-services.ts";

/** The kinds a service's memo is keyed on itself; every other kind is a shared input. */
const OWN_KINDS: ReadonlySet<string> = new Set(["ServiceEntry", "MetaRouter"]);

interface SharedInputs {
  resources: readonly Resource[];
  routed: string;
}

/** A few recent shared-input lists, each with its token (translations for several data planes interleave). */
let recent: Array<{ inputs: SharedInputs; token: object }> = [];
const tokens = new WeakMap<readonly Resource[], object>();

function sameInputs(a: SharedInputs, b: SharedInputs): boolean {
  if (a.routed !== b.routed || a.resources.length !== b.resources.length) return false;
  for (let i = 0; i < a.resources.length; i++) if (a.resources[i] !== b.resources[i]) return false;
  return true;
}

/** One token per distinct list of shared inputs: equal lists (same objects, same order) get the same token. */
function sharedToken(resources: readonly Resource[]): object {
  let token = tokens.get(resources);
  if (token) return token;
  const inputs: SharedInputs = {
    resources: resources.filter((r) => !OWN_KINDS.has(r.kind)),
    routed: routedServices(resources)
      .map((s) => `${s.kind} ${s.host} ${s.port.number} ${s.port.name}`)
      .join("\n"),
  };
  // Most recently used first: a lookup that finds its entry moves it to the front.
  const found = recent.find((r) => sameInputs(r.inputs, inputs));
  token = found?.token ?? {};
  recent = [found ?? { inputs, token }, ...recent.filter((r) => r !== found).slice(0, 3)];
  tokens.set(resources, token);
  return token;
}

interface Memo {
  shared: object;
  router: MetaRouter | undefined;
  value: unknown;
}

/** Per ServiceEntry object: dropped with it when the entry is replaced or deleted. */
const memos = new WeakMap<ServiceEntry, Map<string, Memo>>();

/**
 * `compute()`'s result for `svc`'s `part` ("clusters", "listener", ...), or the previous one when
 * the service's ServiceEntry, its host's MetaRouter and every shared input are the same objects
 * as then. The result is shared between translations: callers must not modify it.
 */
export function perService<T>(resources: readonly Resource[], svc: RoutedService, part: string, compute: () => T): T {
  // Kafka entries are rebuilt on every translation and their listeners are modified afterwards.
  if (svc.applicationProtocol === "kafka") return compute();
  const shared = sharedToken(resources);
  const router: MetaRouter | undefined = indexOf(resources).routers.get(svc.host);
  let bySe = memos.get(svc.serviceEntry);
  if (!bySe) memos.set(svc.serviceEntry, (bySe = new Map()));
  const key = `${part} ${svc.kind} ${svc.host} ${svc.port.number}`;
  const hit = bySe.get(key);
  if (hit && hit.shared === shared && hit.router === router) return hit.value as T;
  const value = compute();
  bySe.set(key, { shared, router, value });
  return value;
}
