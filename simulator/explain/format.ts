/** An explanation as text for people (`--json` prints the Explanation itself). */
import { formatShare, type ConditionResult, type Explanation, type PolicyResult } from "./explain.ts";
import type { Location } from "./provenance.ts";

function where(at: Location | undefined): string {
  return at ? `${at.note ? ` [${at.note}]` : ""}  ${at.file}:${at.line} ${at.resource}` : "";
}

function condition(c: ConditionResult): string {
  const value = c.actual === null ? "absent" : JSON.stringify(c.actual);
  return `${c.attribute} ${c.expected}: ${value} ${c.held ? "holds" : "fails"}`;
}

function policy(p: PolicyResult, indent: string): string {
  return `${indent}${p.applies ? "" : "(not applied) "}${p.kind}: ${p.detail}${where(p.at)}`;
}

export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const md = Object.entries(e.request.metadata)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  lines.push(`request   ${e.request.protocol} ${e.request.host}:${e.request.port}${md ? `  ${md}` : ""}`);
  lines.push(`listener  ${e.listener.name} (${e.listener.codec})${where(e.listener.at)}`);
  if (e.routes.length > 0) {
    lines.push("routes, tried in order (the first that matches wins):");
    for (const r of e.routes) {
      lines.push(`  ${r.matched ? "✓" : "✗"} ${r.name}${where(r.at)}`);
      if (r.conditions.length === 0) lines.push("      no conditions: matches every request");
      for (const c of r.conditions) {
        // For a route that did not match, the failing conditions are the reason; show them first.
        if (!r.matched && c.held) continue;
        lines.push(`      ${condition(c)}${where(c.at)}`);
      }
      if (!r.matched) for (const c of r.conditions.filter((x) => x.held)) lines.push(`      ${condition(c)}`);
    }
  }
  if (e.route) {
    lines.push(`destinations of ${e.route.name}:`);
    for (const d of e.route.destinations) {
      lines.push(`  ${formatShare(d.share).padStart(7)}  ${d.cluster}${where(d.at)}`);
      if (d.missing) lines.push(`           ${d.missing}`);
      if (d.subset) lines.push(`           subset ${d.subset}${where(d.subsetAt)}`);
      if (d.endpoints.length === 0) lines.push("           endpoints: none (local reply no_healthy_endpoint)");
      for (const ep of d.endpoints) lines.push(`           endpoint ${ep.address}${where(ep.at)}`);
      for (const p of d.policies) lines.push(policy(p, "           "));
    }
  }
  if (e.policies.length > 0) {
    lines.push("policies:");
    for (const p of e.policies) lines.push(policy(p, "  "));
  }
  for (const r of e.rejected) lines.push(`warning: the proxy would reject: ${r}`);
  lines.push(`outcome   ${e.outcome}`);
  return `${lines.join("\n")}\n`;
}
