import { defineConfig } from "vitest/config";

export default defineConfig({
  // `import … from "meshsim"` resolves to the TypeScript sources, as in tsconfig.json (test files
  // run in vitest's server-side pipeline, so its ssr resolve conditions are the ones that apply).
  ssr: { resolve: { conditions: ["meshsim-source"], externalConditions: ["meshsim-source"] } },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "reports/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start processes and bind ports; two workers suit a 2-core machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
  },
});
