import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    // CDK synthesis with the nag packs takes seconds, more on a busy 2-core runner.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start DynamoDB Local (a JVM); two at once is all 2 cores take comfortably.
    maxWorkers: 2,
  },
});
