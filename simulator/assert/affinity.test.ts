/** `affinity`: one instance per key, and after an instance leaves only its keys move. */
import { describe, expect, it } from "vitest";
import { evaluateAffinity } from "./affinity.ts";
import { trafficResult } from "./test-traffic-result.ts";

const before = trafficResult({ byKey: { "key-0": { a: 5 }, "key-1": { b: 5 }, "key-2": { c: 5 }, "key-3": { a: 5 } } });

describe("affinity", () => {
  it("passes when every key was answered by one instance", () => {
    const r = evaluateAffinity({ except: [] }, before);
    expect(r.passed).toBe(true);
    expect(r.message).toBe("affinity: 4 keys, 0 answered by more than one instance — pass");
  });

  it("fails on a key spread over instances (round robin instead of a hash), naming it", () => {
    const r = evaluateAffinity({ except: [] }, trafficResult({ byKey: { "key-0": { a: 3, b: 2 }, "key-1": { b: 5 } } }));
    expect(r.passed).toBe(false);
    expect(r.message).toContain("1 answered by more than one instance (key-0 answered by a×3, b×2)");
  });

  it("lets the keys of an instance that left move, and nothing else", () => {
    // c left: key-2 moves to a; the others stay.
    const after = trafficResult({ byKey: { "key-0": { a: 5 }, "key-1": { b: 5 }, "key-2": { a: 5 }, "key-3": { a: 5 } } });
    const r = evaluateAffinity({ sameAs: "before", except: ["c"] }, after, before);
    expect(r.passed).toBe(true);
    expect(r.message).toContain("0 moved off an instance that stayed, 1 on c (left) free to move");
  });

  it("fails when a survivor's key moves (a hash over the live instances only, e.g. modulo: every key reshuffles)", () => {
    const after = trafficResult({ byKey: { "key-0": { b: 5 }, "key-1": { b: 5 }, "key-2": { a: 5 }, "key-3": { a: 5 } } });
    const r = evaluateAffinity({ sameAs: "before", except: ["c"] }, after, before);
    expect(r.passed).toBe(false);
    expect(r.message).toContain("1 moved off an instance that stayed");
    expect(r.message).toContain("key-0 moved from a to b×5");
  });

  it("fails when there is nothing to judge", () => {
    expect(evaluateAffinity({ except: [] }, trafficResult()).message).toMatch(/sent no keys.*FAIL$/);
    expect(evaluateAffinity({ except: [] }, trafficResult({ byKey: {}, successes: 0 })).message).toMatch(/no key was answered.*FAIL$/);
    expect(evaluateAffinity({ sameAs: "x", except: [] }, before, undefined).message).toMatch(/step "x" recorded no keyed traffic.*FAIL$/);
  });
});
