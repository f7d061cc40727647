/**
 * The CLI's dispatcher: picks the command, handles `--help`, and maps failures to exit codes —
 * 2 for bad arguments, 3 for a missing prerequisite (Java, a free port), 1 for anything else.
 * Messages go to stderr without a stack; `CHURNWATCH_DEBUG=1` adds it.
 */
import { LocalModeError, UsageError } from "../errors.js";
import { parseFlags, type RegisteredCommand } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import type { CliIo } from "./io.js";

export function mainHelp(commands: readonly RegisteredCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `Usage: churnwatch <command> [options]

churnwatch: early warning and win-back for e-commerce user churn.

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join("\n")}

Run \`churnwatch <command> --help\` for a command's options.
`;
}

export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly RegisteredCommand[] = COMMANDS,
): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      const topic = name === "help" ? rest[0] : undefined;
      const command = topic ? commands.find((candidate) => candidate.name === topic) : undefined;
      if (topic && !command) throw new UsageError(`churnwatch: unknown command "${topic}"`);
      if (name === undefined) {
        io.stderr(mainHelp(commands));
        return 2;
      }
      io.stdout(command ? command.help : mainHelp(commands));
      return 0;
    }
    const command = commands.find((candidate) => candidate.name === name);
    if (!command) {
      throw new UsageError(
        `churnwatch: unknown command "${name}" (commands: ${commands.map((c) => c.name).join(", ")})`,
      );
    }
    const { values, positionals } = parseFlags(command.name, command.options, rest);
    if (values.help === true) {
      io.stdout(command.help);
      return 0;
    }
    const run = command.prepare(values, positionals, io);
    return await run();
  } catch (error) {
    if (error instanceof LocalModeError) {
      io.stderr(`${error.message}\n`);
      if (error instanceof UsageError) io.stderr("(see churnwatch --help)\n");
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`churnwatch: ${message}\n`);
    if (io.env.CHURNWATCH_DEBUG && error instanceof Error && error.stack) {
      io.stderr(`${error.stack}\n`);
    }
    return 1;
  }
}
