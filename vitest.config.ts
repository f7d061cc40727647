import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Integration tests start DynamoDB Local (a JVM); two at once is all 2 cores take comfortably.
    maxWorkers: 2,
  },
});
