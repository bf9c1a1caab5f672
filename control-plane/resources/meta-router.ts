/**
 * Aeraki MetaRouter: routes for one MetaProtocol host, matching on request metadata
 * attributes and sending to weighted destinations.
 */
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const META_ROUTER_API_VERSIONS = ["metaprotocol.aeraki.io/v1alpha1"] as const;

export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface MetaRoute {
  name?: string;
  match?: { attributes: Record<string, StringMatch> };
  route: RouteDestination[];
}

export interface MetaRouterSpec {
  hosts: string[];
  routes: MetaRoute[];
}

export type MetaRouter = TypedResource<"MetaRouter", MetaRouterSpec>;

const MATCH_FORMS = ["exact", "prefix", "regex"] as const;

export function parseMetaRouterSpec(spec: Record<string, unknown>, r: FieldReader): MetaRouterSpec {
  const hosts = r.stringList(spec.hosts, ["spec", "hosts"], true);
  const routes: MetaRoute[] = [];
  (r.array(spec.routes, ["spec", "routes"], true) ?? []).forEach((raw, i) => {
    const path = ["spec", "routes", i];
    const route = r.object(raw, path, true);
    if (!route) return;
    const name = r.string(route.name, [...path, "name"], false);
    const out: MetaRoute = { route: [], ...(name !== undefined && { name }) };
    const match = r.object(route.match, [...path, "match"], false);
    if (match) {
      const attrs = r.object(match.attributes, [...path, "match", "attributes"], false) ?? {};
      const attributes: Record<string, StringMatch> = {};
      for (const [key, value] of Object.entries(attrs)) {
        const attrPath = [...path, "match", "attributes", key];
        const m = r.object(value, attrPath, true);
        if (!m) continue;
        const forms = MATCH_FORMS.filter((f) => m[f] !== undefined);
        if (forms.length !== 1) {
          r.problem(attrPath, "must have exactly one of exact, prefix, regex");
          continue;
        }
        const form = forms[0]!;
        const v = r.string(m[form], [...attrPath, form], false);
        if (v === undefined) continue;
        attributes[key] = { [form]: v } as StringMatch;
      }
      out.match = { attributes };
    }
    (r.array(route.route, [...path, "route"], true) ?? []).forEach((rawDest, j) => {
      const destPath = [...path, "route", j];
      const d = r.object(rawDest, destPath, true);
      if (!d) return;
      const dest = r.object(d.destination, [...destPath, "destination"], true);
      if (!dest) return;
      const host = r.string(dest.host, [...destPath, "destination", "host"], true);
      const subset = r.string(dest.subset, [...destPath, "destination", "subset"], false);
      const portObj = r.object(dest.port, [...destPath, "destination", "port"], false);
      const portNumber = portObj ? r.integer(portObj.number, [...destPath, "destination", "port", "number"], true, 1, 65535) : undefined;
      const weight = r.integer(d.weight, [...destPath, "weight"], false, 0, 100);
      if (host === undefined) return;
      out.route.push({
        destination: { host, ...(subset && { subset }), ...(portNumber !== undefined && { port: { number: portNumber } }) },
        ...(weight !== undefined && { weight }),
      });
    });
    routes.push(out);
  });
  return { hosts, routes };
}
