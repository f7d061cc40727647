#!/usr/bin/env node
import { resolve } from "node:path";
// Runs a TypeScript entry point with tsx's ESM loader, so the CDK app, the CLI and the
// benchmarks need no build step and no global tools.
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error("usage: run-ts <file.ts> [args...]");
  process.exit(2);
}
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
