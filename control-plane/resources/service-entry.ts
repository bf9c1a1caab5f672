/** Istio ServiceEntry, the parts meshsim needs: hosts, ports, addresses, endpoints with labels. */
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const SERVICE_ENTRY_API_VERSIONS = ["networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1"] as const;

export interface ServicePort {
  number: number;
  /** Selects the protocol: `tcp-metaprotocol-<app>-<anything>`. */
  name: string;
  protocol?: string;
  targetPort?: number;
}

export interface WorkloadEntry {
  address: string;
  /** Port name → port on this endpoint. */
  ports: Record<string, number>;
  labels: Record<string, string>;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses: string[];
  ports: ServicePort[];
  endpoints: WorkloadEntry[];
  resolution: string;
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  /** Namespaces that see this entry ("." = its own, "*" = all); empty = all. */
  exportTo: string[];
}

export type ServiceEntry = TypedResource<"ServiceEntry", ServiceEntrySpec>;

const RESOLUTIONS = ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"];

export function parseServiceEntrySpec(spec: Record<string, unknown>, r: FieldReader): ServiceEntrySpec {
  const hosts = r.stringList(spec.hosts, ["spec", "hosts"], true);
  const addresses = r.stringList(spec.addresses, ["spec", "addresses"], false);
  const ports: ServicePort[] = [];
  (r.array(spec.ports, ["spec", "ports"], true) ?? []).forEach((raw, i) => {
    const path = ["spec", "ports", i];
    const p = r.object(raw, path, true);
    if (!p) return;
    const number = r.integer(p.number, [...path, "number"], true, 1, 65535);
    const name = r.string(p.name, [...path, "name"], true);
    const protocol = r.string(p.protocol, [...path, "protocol"], false);
    const targetPort = r.integer(p.targetPort, [...path, "targetPort"], false, 1, 65535);
    if (number === undefined || name === undefined) return;
    ports.push({ number, name, ...(protocol !== undefined && { protocol }), ...(targetPort !== undefined && { targetPort }) });
  });
  const endpoints: WorkloadEntry[] = [];
  (r.array(spec.endpoints, ["spec", "endpoints"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "endpoints", i];
    const e = r.object(raw, path, true);
    if (!e) return;
    const address = r.string(e.address, [...path, "address"], true);
    const portsObj = r.object(e.ports, [...path, "ports"], false) ?? {};
    const epPorts: Record<string, number> = {};
    for (const [name, value] of Object.entries(portsObj)) {
      const n = r.integer(value, [...path, "ports", name], true, 1, 65535);
      if (n !== undefined) epPorts[name] = n;
    }
    const labels = r.stringMap(e.labels, [...path, "labels"]);
    if (address !== undefined) endpoints.push({ address, ports: epPorts, labels });
  });
  const resolution = r.string(spec.resolution, ["spec", "resolution"], false) ?? "NONE";
  if (!RESOLUTIONS.includes(resolution)) r.problem(["spec", "resolution"], `must be one of ${RESOLUTIONS.join(", ")}`);
  const location = r.oneOf(spec.location, ["spec", "location"], ["MESH_EXTERNAL", "MESH_INTERNAL"] as const, false);
  const exportTo = r.stringList(spec.exportTo, ["spec", "exportTo"], false);
  return { hosts, addresses, ports, endpoints, resolution, exportTo, ...(location && { location }) };
}
