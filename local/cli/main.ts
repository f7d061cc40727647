/**
 * `npx churnwatch …` / `npm start`, loaded through tsx by local/cli.js. Exits explicitly: SDK
 * keep-alive sockets or a handler's stray timer must not keep a finished command alive.
 */
import { processIo } from "./io.js";
import { runCli } from "./run.js";

// The SDK warns on every start that releases after January 2027 will need Node 22. The project
// supports Node 20 with pinned SDK versions, so on a terminal that is noise; the SDK's own switch
// turns it off (an explicit setting in the environment still wins).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const code = await runCli(process.argv.slice(2), processIo);
// Writes to a pipe can be asynchronous (macOS): let stdout drain first, or `churnwatch export >
// file` could be cut short.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);
