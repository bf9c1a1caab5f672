/**
 * JUnit XML for CI: one testsuite per scenario, one testcase per expectation named
 * `<step> › <assertion>`, a testcase with <error> for a step that could not complete,
 * and one per step without expectations so setup steps show up too.
 */
import { stepKind, type RunSummary, type StepSummary } from "./summary.ts";

interface Case {
  name: string;
  timeMs: number;
  failure?: { message: string; type: string; body: string };
  error?: { message: string; type: string; body: string };
}

export function renderJUnit(summaries: RunSummary | readonly RunSummary[]): string {
  const list: readonly RunSummary[] = Array.isArray(summaries) ? summaries : [summaries as RunSummary];
  const suites = list.map((s) => ({ summary: s, cases: casesOf(s) }));
  const count = (pick: (c: Case) => unknown) => suites.reduce((n, s) => n + s.cases.filter(pick).length, 0);
  const totalMs = list.reduce((n, s) => n + s.durationMs, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="meshsim" tests="${count(() => true)}" failures="${count((c) => c.failure)}" errors="${count((c) => c.error)}" time="${seconds(totalMs)}">`);
  for (const { summary, cases } of suites) {
    const suiteName = summary.scenario.name;
    out.push(
      `  <testsuite name="${attr(suiteName)}" tests="${cases.length}" failures="${cases.filter((c) => c.failure).length}" errors="${cases.filter((c) => c.error).length}" skipped="0" time="${seconds(summary.durationMs)}" timestamp="${attr(summary.startedAt)}" file="${attr(summary.scenario.file)}">`,
    );
    out.push("    <properties>");
    out.push(`      <property name="tags" value="${attr(summary.scenario.tags.join(","))}"/>`);
    out.push(`      <property name="meshsim.version" value="${attr(summary.tool.version)}"/>`);
    out.push(`      <property name="node" value="${attr(summary.environment.node)}"/>`);
    out.push("    </properties>");
    for (const c of cases) {
      const open = `    <testcase classname="${attr(suiteName)}" name="${attr(c.name)}" time="${seconds(c.timeMs)}"`;
      const problem = c.failure ? (["failure", c.failure] as const) : c.error ? (["error", c.error] as const) : undefined;
      if (!problem) {
        out.push(`${open}/>`);
        continue;
      }
      const [tag, p] = problem;
      out.push(`${open}>`);
      out.push(`      <${tag} message="${attr(p.message)}" type="${attr(p.type)}">${text(p.body)}</${tag}>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

function casesOf(summary: RunSummary): Case[] {
  const cases: Case[] = [];
  if (summary.error !== undefined) {
    cases.push({ name: `${summary.scenario.name} › setup`, timeMs: 0, error: { message: firstLine(summary.error), type: "SetupError", body: summary.error } });
  }
  for (const step of summary.steps) cases.push(...stepCases(step));
  return cases;
}

function stepCases(step: StepSummary): Case[] {
  const cases: Case[] = [];
  if (step.error !== undefined) {
    cases.push({ name: `${step.name} › ${stepKind(step)}`, timeMs: 0, error: { message: firstLine(step.error), type: "StepError", body: step.error } });
  }
  if (step.aborted !== undefined) {
    cases.push({ name: `${step.name} › traffic`, timeMs: 0, failure: { message: `aborted: ${step.aborted}`, type: "Aborted", body: step.aborted } });
  }
  for (const e of step.expectations) {
    cases.push({
      name: `${step.name} › ${e.name}`,
      timeMs: 0,
      ...(e.passed ? {} : { failure: { message: e.message, type: e.name.split(" ")[0] ?? "expectation", body: `${e.message}\n${JSON.stringify(e.details, null, 2)}` } }),
    });
  }
  if (cases.length === 0) cases.push({ name: `${step.name} › ${stepKind(step)}`, timeMs: 0 });
  (cases[0] as Case).timeMs = step.durationMs; // the step's time once, so suite totals add up
  return cases;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? "";
}

/** Characters XML 1.0 cannot carry at all, even escaped. */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function text(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function attr(s: string): string {
  return text(s).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
