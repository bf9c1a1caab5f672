import { describe, expect, it } from "vitest";
import { chooseBackend } from "./backend.ts";

describe("chooseBackend", () => {
  it("takes --backend over MESHSIM_BACKEND over the scenario over the default", () => {
    expect(chooseBackend(undefined, undefined, {})).toBe("processes");
    expect(chooseBackend(undefined, "containers", {})).toBe("containers");
    expect(chooseBackend(undefined, "processes", { MESHSIM_BACKEND: "containers" })).toBe("containers");
    expect(chooseBackend("processes", "containers", { MESHSIM_BACKEND: "containers" })).toBe("processes");
  });

  it("names the source of an unknown backend", () => {
    expect(() => chooseBackend("vm", undefined, {})).toThrow(/--backend vm: unknown backend \(backends: processes, containers\)/);
    expect(() => chooseBackend(undefined, undefined, { MESHSIM_BACKEND: "k8s" })).toThrow(/MESHSIM_BACKEND k8s: unknown backend/);
  });
});
