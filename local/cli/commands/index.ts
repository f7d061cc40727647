/** Every CLI command, in the order `churnwatch --help` lists them. */
import { type RegisteredCommand, register } from "../command.js";
import { evaluateCommand } from "./evaluate.js";
import { exportCommand } from "./export.js";
import { fitCommand } from "./fit.js";
import { keysCommand } from "./keys.js";
import { promotionsCommand } from "./promotions.js";
import { replayCommand } from "./replay.js";
import { reportCommand } from "./report.js";
import { scoreCommand } from "./score.js";
import { simulateCommand } from "./simulate.js";
import { startCommand } from "./start.js";
import { trainCommand } from "./train.js";

export const COMMANDS: readonly RegisteredCommand[] = [
  register(startCommand),
  register(scoreCommand),
  register(replayCommand),
  register(simulateCommand),
  register(exportCommand),
  register(fitCommand),
  register(trainCommand),
  register(evaluateCommand),
  register(reportCommand),
  register(keysCommand),
  register(promotionsCommand),
];
