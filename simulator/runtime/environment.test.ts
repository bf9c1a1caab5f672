import { describe, expect, it } from "vitest";
import type { Scenario } from "../scenario/types.ts";
import { missingEnvironment, onPath } from "./environment.ts";

const scenario = (protocol: string) => ({ topology: { services: [{ protocol }], clients: [] } }) as unknown as Scenario;

describe("environment preflight", () => {
  it("names the missing server and the command that installs it", () => {
    expect(missingEnvironment(scenario("redis"), undefined, "/nonexistent")).toEqual(["redis-server not found (needed by redis services): apt-get install -y redis-server"]);
    expect(missingEnvironment(scenario("thrift"), undefined, "/nonexistent")).toEqual([]);
    const javaProvider = { topology: { services: [{ protocol: "dubbo", dubbo: { provider: "java" } }], clients: [] } } as unknown as Scenario;
    // The provider's jar is built by doctor; a checkout without it is told how to build it.
    expect(missingEnvironment(javaProvider, undefined, "/nonexistent")[0]).toBe("java not found (needed by the Java Dubbo provider): apt-get install -y default-jre-headless");
    expect(missingEnvironment(scenario("dubbo"), undefined, "/nonexistent")).toEqual([]);
  });

  it("finds executables on PATH", () => {
    expect(onPath("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
    expect(onPath("no-such-binary-here", "/bin")).toBeUndefined();
  });
});
