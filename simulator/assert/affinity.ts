/**
 * `affinity`: consistent hashing keeps each request key on one instance. Reads the traffic's
 * successes per key (traffic with `keys`). With `sameAs`, each key must also stay on the instance
 * it had in that earlier step — unless that instance is listed in `except` (it left): removing an
 * instance may move only the keys it owned.
 */
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";

export interface AffinityExpectation {
  sameAs?: string;
  except: readonly string[];
}

export function evaluateAffinity(expectation: AffinityExpectation, result: TrafficResult, earlier?: TrafficResult): AssertionResult {
  const name = expectation.sameAs !== undefined ? `affinity same as ${expectation.sameAs}` : "affinity";
  const fail = (message: string): AssertionResult => ({ name, passed: false, message: `${name}: ${message} — ${verdict(false)}`, details: {} });
  const byKey = result.byKey;
  if (byKey === undefined) return fail("the traffic sent no keys (give it keys: {header, count})");
  const keys = Object.keys(byKey);
  if (keys.length === 0) return fail(`no key was answered (${result.requests} requests, ${result.successes} successes)`);

  const split = keys.filter((k) => Object.keys(byKey[k]!).length > 1);
  const problems = split.slice(0, 3).map((k) => `${k} answered by ${describe(byKey[k]!)}`);
  const moved: string[] = [];
  let left = 0;
  if (expectation.sameAs !== undefined) {
    if (earlier?.byKey === undefined) return fail(`step "${expectation.sameAs}" recorded no keyed traffic to compare with`);
    for (const k of keys) {
      const before = soleInstance(earlier.byKey[k]);
      if (before === undefined) continue;
      if (expectation.except.includes(before)) {
        left++;
        continue;
      }
      if (Object.keys(byKey[k]!).some((i) => i !== before)) moved.push(k);
    }
    problems.push(...moved.slice(0, 3).map((k) => `${k} moved from ${soleInstance(earlier.byKey![k])} to ${describe(byKey[k]!)}`));
  }
  const passed = split.length === 0 && moved.length === 0;
  const summary = `${keys.length} keys, ${split.length} answered by more than one instance`;
  const compared = expectation.sameAs !== undefined ? `; ${moved.length} moved off an instance that stayed, ${left} on ${expectation.except.join(", ") || "no instance"} (left) free to move` : "";
  return {
    name,
    passed,
    message: `${name}: ${summary}${compared}${problems.length ? ` (${problems.join("; ")})` : ""} — ${verdict(passed)}`,
    details: { keys: keys.length, split, moved, freeToMove: left },
  };
}

/** The one instance that answered a key, or undefined when none or several did. */
function soleInstance(counts: Record<string, number> | undefined): string | undefined {
  const instances = Object.keys(counts ?? {});
  return instances.length === 1 ? instances[0] : undefined;
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([i, n]) => `${i}×${n}`)
    .join(", ");
}
