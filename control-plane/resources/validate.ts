/**
 * Checks that need more than one field or more than one resource: FQDN hosts, weights,
 * regexes, and that every MetaRouter destination names a known host, port and subset.
 * A MetaRouter naming an unknown subset is a validation error, not a silent miss.
 */
import type { InputProblem } from "../../common/errors.ts";
import type { FieldPath } from "../../common/yaml-source.ts";
import { FieldReader } from "./field-reader.ts";
import type { Resource } from "./kinds.ts";
import type { DestinationRule } from "./destination-rule.ts";
import type { MetaRouter } from "./meta-router.ts";
import type { ServiceEntry } from "./service-entry.ts";
import { resourceKey, resourceLabel } from "./resource.ts";

const FQDN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/i;

export function validateResources(resources: readonly Resource[]): InputProblem[] {
  const problems: InputProblem[] = [];
  const reader = (res: Resource) => new FieldReader(res.source, resourceLabel(res), problems);
  const seen = new Set<string>();
  for (const res of resources) {
    const key = resourceKey(res);
    if (seen.has(key)) reader(res).problem(["metadata", "name"], `duplicate resource ${key}`);
    seen.add(key);
  }
  const serviceEntries = resources.filter((r): r is ServiceEntry => r.kind === "ServiceEntry");
  const destinationRules = resources.filter((r): r is DestinationRule => r.kind === "DestinationRule");
  const routerHosts = new Map<string, MetaRouter>();
  for (const res of resources) {
    const r = reader(res);
    if (res.kind === "ServiceEntry") validateServiceEntry(res, r);
    if (res.kind === "MetaRouter") {
      validateMetaRouter(res, r, serviceEntries, destinationRules);
      const host = res.spec.hosts[0];
      if (host !== undefined && res.spec.hosts.length === 1) {
        const other = routerHosts.get(host);
        if (other) r.problem(["spec", "hosts", 0], `host "${host}" already has a MetaRouter (${resourceKey(other)})`);
        else routerHosts.set(host, res);
      }
    }
  }
  return problems;
}

function validateServiceEntry(se: ServiceEntry, r: FieldReader): void {
  se.spec.hosts.forEach((h, i) => {
    if (!FQDN.test(h) && !/^\*\.[^*]+$/.test(h)) r.problem(["spec", "hosts", i], `"${h}" is not a valid host name`);
  });
  const names = new Set<string>();
  const numbers = new Set<number>();
  se.spec.ports.forEach((p, i) => {
    if (names.has(p.name)) r.problem(["spec", "ports", i, "name"], `duplicate port name "${p.name}"`);
    if (numbers.has(p.number)) r.problem(["spec", "ports", i, "number"], `duplicate port number ${p.number}`);
    names.add(p.name);
    numbers.add(p.number);
  });
  se.spec.endpoints.forEach((e, i) => {
    for (const portName of Object.keys(e.ports)) {
      if (!names.has(portName)) r.problem(["spec", "endpoints", i, "ports", portName], `no port named "${portName}" in spec.ports`);
    }
  });
}

function validateMetaRouter(
  mr: MetaRouter,
  r: FieldReader,
  serviceEntries: readonly ServiceEntry[],
  destinationRules: readonly DestinationRule[],
): void {
  const { hosts, routes } = mr.spec;
  if (hosts.length > 1) r.problem(["spec", "hosts"], `must name exactly one host, found ${hosts.length}`);
  hosts.forEach((h, i) => {
    if (!FQDN.test(h)) r.problem(["spec", "hosts", i], `"${h}" is not a fully qualified host name`);
    else if (!serviceEntries.some((se) => se.spec.hosts.includes(h)))
      r.problem(["spec", "hosts", i], `no ServiceEntry defines host "${h}"`);
  });
  routes.forEach((route, i) => {
    const path: FieldPath = ["spec", "routes", i];
    for (const [key, m] of Object.entries(route.match?.attributes ?? {})) {
      if ("regex" in m) {
        try {
          new RegExp(m.regex);
        } catch (err) {
          r.problem([...path, "match", "attributes", key, "regex"], `regex does not compile: ${(err as Error).message}`);
        }
      }
    }
    if (route.route.length > 1) {
      const sum = route.route.reduce((acc, d) => acc + (d.weight ?? 0), 0);
      if (sum !== 100) r.problem([...path, "route"], `weights must sum to 100 when there is more than one destination, found ${sum}`);
    }
    route.route.forEach((d, j) => {
      const destPath: FieldPath = [...path, "route", j, "destination"];
      const { host, subset, port } = d.destination;
      const entries = serviceEntries.filter((se) => se.spec.hosts.includes(host));
      if (entries.length === 0) {
        r.problem([...destPath, "host"], `unknown host "${host}": no ServiceEntry defines it`);
        return;
      }
      if (port && !entries.some((se) => se.spec.ports.some((p) => p.number === port.number)))
        r.problem([...destPath, "port", "number"], `host "${host}" has no port ${port.number}`);
      if (subset !== undefined) {
        const rules = destinationRules.filter((dr) => dr.spec.host === host);
        if (!rules.some((dr) => dr.spec.subsets.some((s) => s.name === subset))) {
          const why = rules.length === 0 ? `no DestinationRule for host "${host}"` : `DestinationRule ${rules.map(resourceLabel).join(", ")} does not define it`;
          r.problem([...destPath, "subset"], `unknown subset "${subset}": ${why}`);
        }
      }
    });
  });
}
