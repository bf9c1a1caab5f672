/**
 * Finds the MetaProtocol services among ServiceEntries. The protocol is chosen by port name,
 * as Aeraki does: `tcp-metaprotocol-<app-protocol>-<anything>`.
 */
import type { Resource } from "../resources/kinds.ts";
import type { ServiceEntry, ServicePort } from "../resources/service-entry.ts";

const PORT_NAME = /^tcp-metaprotocol-([a-z0-9]+)(-.*)?$/i;

/** The application protocol named by a port, or undefined when the port is not MetaProtocol. */
export function metaProtocolOfPort(portName: string): string | undefined {
  return PORT_NAME.exec(portName)?.[1]?.toLowerCase();
}

export interface MetaProtocolService {
  host: string;
  port: ServicePort;
  applicationProtocol: string;
  serviceEntry: ServiceEntry;
}

function byHostThenPort(a: MetaProtocolService, b: MetaProtocolService): number {
  return a.host === b.host ? a.port.number - b.port.number : a.host < b.host ? -1 : 1;
}

/**
 * Per resources array (one translation): every translator asks for the services, and a
 * thousand-service mesh would sort them a dozen times per change otherwise.
 */
const metaCache = new WeakMap<readonly Resource[], readonly MetaProtocolService[]>();
const routedCache = new WeakMap<readonly Resource[], readonly RoutedService[]>();

/** One entry per host and MetaProtocol port, sorted by host then port (shared: do not modify). */
export function metaProtocolServices(resources: readonly Resource[]): readonly MetaProtocolService[] {
  let cached = metaCache.get(resources);
  if (!cached) metaCache.set(resources, (cached = findMetaProtocolServices(resources)));
  return cached;
}

function findMetaProtocolServices(resources: readonly Resource[]): MetaProtocolService[] {
  const out: MetaProtocolService[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    if (r.kind !== "ServiceEntry") continue;
    for (const host of r.spec.hosts) {
      for (const port of r.spec.ports) {
        const app = metaProtocolOfPort(port.name);
        const key = `${host}:${port.number}`;
        if (!app || seen.has(key)) continue;
        seen.add(key);
        out.push({ host, port, applicationProtocol: app, serviceEntry: r });
      }
    }
  }
  return out.sort(byHostThenPort);
}

const GRPC_PORT_NAME = /^grpc(-.*)?$/i;

/** A port gRPC clients reach through meshsim's xDS (`grpc` / `grpc-*` name, or protocol GRPC). */
export function isGrpcPort(port: ServicePort): boolean {
  return GRPC_PORT_NAME.test(port.name) || port.protocol?.toUpperCase() === "GRPC";
}

export interface RoutedService extends MetaProtocolService {
  kind: "meta" | "grpc";
}

/** MetaProtocol and gRPC services together: everything that gets clusters, endpoints and routes (shared: do not modify). */
export function routedServices(resources: readonly Resource[]): readonly RoutedService[] {
  let cached = routedCache.get(resources);
  if (!cached) routedCache.set(resources, (cached = findRoutedServices(resources)));
  return cached;
}

function findRoutedServices(resources: readonly Resource[]): RoutedService[] {
  const out: RoutedService[] = metaProtocolServices(resources).map((s) => ({ ...s, kind: "meta" as const }));
  const seen = new Set(out.map((s) => `${s.host}:${s.port.number}`));
  for (const r of resources) {
    if (r.kind !== "ServiceEntry") continue;
    for (const host of r.spec.hosts) {
      for (const port of r.spec.ports) {
        const key = `${host}:${port.number}`;
        if (!isGrpcPort(port) || seen.has(key)) continue;
        seen.add(key);
        out.push({ host, port, applicationProtocol: "grpc", serviceEntry: r, kind: "grpc" });
      }
    }
  }
  return out.sort(byHostThenPort);
}

export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

/** `outbound|<port>|<subset>|<host>` → its parts; undefined for any other name. */
export function parseOutboundClusterName(name: string): { port: number; subset: string; host: string } | undefined {
  const m = /^outbound\|(\d+)\|([^|]*)\|(.+)$/.exec(name);
  return m ? { port: Number(m[1]), subset: m[2]!, host: m[3]! } : undefined;
}

export function routeConfigName(host: string, port: number): string {
  return `${host}_${port}`;
}
