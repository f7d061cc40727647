/**
 * `npm run openapi`: writes docs/openapi.json from the zod schemas and the topology's routes.
 * `--check` writes nothing and exits 1 when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { renderOpenApi } from "../lambdas/domain/openapi.js";

const target = join(dirname(fileURLToPath(import.meta.url)), "..", "docs", "openapi.json");
const shown = relative(process.cwd(), target) || target;
const rendered = renderOpenApi();
let current: string | undefined;
try {
  current = readFileSync(target, "utf8");
} catch {
  current = undefined;
}

if (process.argv.includes("--check")) {
  if (current !== rendered) {
    console.error(`${shown} is out of date: run \`npm run openapi\``);
    process.exitCode = 1;
  } else {
    console.log(`${shown} is up to date`);
  }
} else if (current === rendered) {
  console.log(`${shown} is up to date`);
} else {
  writeFileSync(target, rendered);
  console.log(`wrote ${shown} (${Buffer.byteLength(rendered)} bytes)`);
}
