/**
 * Walks every route of every shipped scenario (scenarios/**), at every point where the scenario
 * changes its resources: for each MetaRouter route and each RedisService route, a request is
 * derived from the route's own match, and `explain` must pick that route, at that route's
 * file:line, with that route's destinations and weights. A tampered sidecar configuration (routes
 * tried in the wrong order, as a matcher bug would) must be caught by the same check.
 */
import type { InputProblem } from "../../common/errors.ts";
import { describe, expect, it } from "vitest";
import { expandYamlArgs } from "../cli.ts";
import { isScenarioFile, loadScenario } from "../scenario/loader.ts";
import { scenarioResourceStates } from "../scenario-resources.ts";
import type { Resource } from "../../control-plane/resources/kinds.ts";
import type { MetaRouter, StringMatch } from "../../control-plane/resources/meta-router.ts";
import type { RedisService } from "../../control-plane/resources/redis-service.ts";
import { outboundClusterName } from "../../control-plane/translate/meta-protocol-services.ts";
import { explain } from "./explain.ts";
import { sourceFromResources, type ExplainSource } from "./explain-command.ts";
import type { SidecarConfig } from "./sidecar-config.ts";

/** One string the regex matches whole: literals, escapes, classes and quantifiers (what scenarios use). */
function sampleOf(regex: string): string {
  let out = "";
  let i = 0;
  while (i < regex.length) {
    let atom: string;
    const c = regex[i]!;
    if (c === "\\") {
      atom = /[dws]/.test(regex[i + 1]!) ? { d: "0", w: "a", s: " " }[regex[i + 1] as "d" | "w" | "s"] : regex[i + 1]!;
      i += 2;
    } else if (c === "[") {
      const end = regex.indexOf("]", i);
      if (regex[i + 1] === "^" || end < 0) throw new Error(`sampleOf: unsupported class in ${regex}`);
      atom = regex[i + 1]!;
      i = end + 1;
    } else if ("()|^$".includes(c)) {
      throw new Error(`sampleOf: unsupported regex syntax "${c}" in ${regex}; extend the sampler`);
    } else {
      atom = c === "." ? "x" : c;
      i++;
    }
    const q = /^(\?|\*|\+|\{(\d+)(,\d*)?\})/.exec(regex.slice(i));
    let times = 1;
    if (q) {
      times = q[1] === "?" || q[1] === "*" ? 0 : q[1] === "+" ? 1 : Number(q[2]);
      i += q[0].length;
    }
    out += atom.repeat(times);
  }
  return out;
}

function valueFor(m: StringMatch): string {
  if ("exact" in m) return m.exact === "" ? "present" : m.exact;
  if ("prefix" in m) return `${m.prefix}Zq`;
  return m.regex === "" ? "present" : sampleOf(m.regex);
}

interface Walked {
  where: string;
  problem?: string;
}

function checkMetaRouter(source: ExplainSource, mr: MetaRouter, where: string): Walked[] {
  const host = mr.spec.hosts[0]!;
  const listeners = source.config.listeners.filter((l) => l.name.startsWith(`${host}_`));
  const port = Number(listeners[0]?.name.slice(host.length + 1));
  return mr.spec.routes.flatMap((route, i) => {
    if (route.route.length === 0) return [];
    const name = route.name ?? `route-${i}`;
    const label = `${where} ${host} route ${name}`;
    const metadata = Object.fromEntries(Object.entries(route.match?.attributes ?? {}).map(([k, m]) => [k, valueFor(m)]));
    const e = explain(source.config, { host, port, metadata }, source.provenance);
    const line = mr.source.locate(["spec", "routes", i]).line;
    const total = route.route.reduce((a, d) => a + (route.route.length === 1 ? 1 : (d.weight ?? 0)), 0);
    const expected = route.route.map((d) => ({
      cluster: outboundClusterName(d.destination.port?.number ?? port, d.destination.subset ?? "", d.destination.host),
      share: ((route.route.length === 1 ? 1 : (d.weight ?? 0)) / total) * 100,
    }));
    const got = e.route?.destinations.map((d) => ({ cluster: d.cluster, share: d.share }));
    let problem: string | undefined;
    if (e.route?.name !== name) problem = `picked ${e.route?.name ?? "no route"} (${e.outcome}) for ${JSON.stringify(metadata)}`;
    else if (e.route.at?.line !== line || e.route.at.file !== mr.source.file) problem = `located at ${e.route.at?.file}:${e.route.at?.line}, not ${mr.source.file}:${line}`;
    else if (JSON.stringify(got) !== JSON.stringify(expected)) problem = `destinations ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`;
    // Break one condition at a time: the route must not be picked, and when it was tried, that
    // condition must be the one named as failing.
    for (const attribute of Object.keys(route.match?.attributes ?? {})) {
      if (problem) break;
      const { [attribute]: _dropped, ...rest } = metadata;
      const miss = explain(source.config, { host, port, metadata: { ...rest, [attribute]: "\u0001miss" } }, source.provenance);
      const tried = miss.routes.find((r) => r.name === name);
      if (miss.route?.name === name) problem = `picked with ${attribute} broken`;
      else if (tried && !tried.conditions.some((c) => c.attribute === attribute && !c.held)) problem = `tried with ${attribute} broken but that condition is not named as failing`;
    }
    return [{ where: label, ...(problem && { problem }) }];
  });
}

function checkRedisService(source: ExplainSource, rs: RedisService, where: string): Walked[] {
  const host = rs.spec.hosts[0]!;
  return rs.spec.routes.flatMap((route, i) => {
    if (!route.route) return [];
    const prefix = route.match?.key.prefix;
    const key = prefix !== undefined ? `${prefix}k1` : "\u0000no-prefix-matches";
    const e = explain(source.config, { host, metadata: { key, command: "get" } }, source.provenance);
    const line = rs.source.locate(["spec", "redis", i]).line;
    const cluster = e.route?.destinations[0]?.cluster ?? "";
    let problem: string | undefined;
    if (e.route?.at?.line !== line) problem = `key ${JSON.stringify(key)} took ${e.route?.name ?? "no route"} at line ${e.route?.at?.line}, expected spec.redis[${i}] at line ${line}`;
    else if (!cluster.endsWith(`|${route.route.host}`)) problem = `key ${JSON.stringify(key)} goes to ${cluster}, expected host ${route.route.host}`;
    return [{ where: `${where} ${host} spec.redis[${i}]`, ...(problem && { problem }) }];
  });
}

function walk(resources: Resource[], where: string, tamper?: (c: SidecarConfig) => void): Walked[] {
  const source = sourceFromResources(resources, [], where);
  tamper?.(source.config);
  return resources.flatMap((r) => (r.kind === "MetaRouter" ? checkMetaRouter(source, r, where) : r.kind === "RedisService" ? checkRedisService(source, r, where) : []));
}

async function scenarioStates(): Promise<Array<{ where: string; resources: Resource[] }>> {
  const files = expandYamlArgs(["scenarios"]).filter(isScenarioFile);
  const out: Array<{ where: string; resources: Resource[] }> = [];
  for (const file of files) {
    const problems: InputProblem[] = [];
    for (const state of scenarioResourceStates(await loadScenario(file), problems)) {
      out.push({ where: `${file}${state.step ? ` after step "${state.step}"` : ""}`, resources: state.resources });
    }
    expect(problems).toEqual([]);
  }
  return out;
}

describe("meshsim explain on every shipped scenario", () => {
  it("picks, for a request derived from each route's match, that route, its file:line and its destinations", async () => {
    const walked = (await scenarioStates()).flatMap((s) => walk(s.resources, s.where));
    expect(walked.filter((w) => w.problem)).toEqual([]);
    // Every protocol's scenarios are walked, not a handful.
    expect(walked.length).toBeGreaterThan(70);
    for (const dir of ["thrift", "dubbo", "redis", "kafka"]) expect(walked.some((w) => w.where.startsWith(`scenarios/${dir}/`))).toBe(true);
  });

  it("catches a wrong answer: routes tried in reverse order misroute the method-routing scenario", async () => {
    const state = (await scenarioStates()).find((s) => s.where === "scenarios/thrift/method-routing.yaml")!;
    const reversed = walk(state.resources, state.where, (config) => {
      config.routes = config.routes.map((rc) => ({ ...rc, routes: [...rc.routes].reverse() }));
    });
    // getUser now meets prefix-get first; getZq, listA and sayHello still reach their own routes.
    expect(reversed.filter((w) => w.problem)).toEqual([
      {
        where: "scenarios/thrift/method-routing.yaml hello.default.svc.cluster.local route exact-getUser",
        problem: 'picked prefix-get (route prefix-get → outbound|9090|v2|hello.default.svc.cluster.local (100%)) for {"method":"getUser"}',
      },
    ]);
  });
});
