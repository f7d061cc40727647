/** Every CLI command, in the order `churnwatch --help` lists them. */
import { type RegisteredCommand, register } from "../command.js";
import { exportCommand } from "./export.js";
import { fitCommand } from "./fit.js";
import { keysCommand } from "./keys.js";
import { replayCommand } from "./replay.js";
import { scoreCommand } from "./score.js";
import { startCommand } from "./start.js";

export const COMMANDS: readonly RegisteredCommand[] = [
  register(startCommand),
  register(scoreCommand),
  register(replayCommand),
  register(exportCommand),
  register(fitCommand),
  register(keysCommand),
];
