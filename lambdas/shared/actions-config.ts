/**
 * The retention actions' configuration (policy, templates, quiet hours, frequency cap), read and
 * cross-checked once per cold start: a policy naming a template that does not exist fails the
 * start with the exact place, never a send.
 */
import { CHANNELS, type Channel } from "../../lib/topology.js";
import {
  DEFAULT_FREQUENCY_CAP,
  type FrequencyCap,
  parseFrequencyCap,
} from "../domain/actions/frequency.js";
import {
  DEFAULT_RETENTION_POLICY,
  parseRetentionPolicy,
  type RetentionPolicy,
} from "../domain/actions/policy.js";
import {
  DEFAULT_QUIET_HOURS,
  parseQuietHours,
  type QuietHoursConfig,
} from "../domain/actions/quiet-hours.js";
import { parseChannelPreference } from "../domain/contact.js";
import {
  DEFAULT_TEMPLATE_CATALOGUE,
  parseTemplateCatalogue,
  type TemplateCatalogue,
  templateIds,
} from "../domain/templates.js";
import { ConfigError, optionalEnv } from "./config.js";
import { ENV, type EnvName } from "./env-names.js";

export interface ActionsConfig {
  readonly policy: RetentionPolicy;
  readonly templates: TemplateCatalogue;
  readonly quietHours: QuietHoursConfig;
  readonly frequencyCap: FrequencyCap;
}

function parsed<T>(
  name: EnvName,
  env: NodeJS.ProcessEnv,
  parse: (raw: string) => T,
  fallback: T,
): T {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  try {
    return parse(raw);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}

/**
 * The default policy's channels in the configured preference order (a channel left out of the
 * preference is not used). A custom policy states its own order per rule.
 */
export function withChannelOrder(
  policy: RetentionPolicy,
  preference: readonly Channel[],
): RetentionPolicy {
  return {
    ...policy,
    rules: policy.rules.map((rule) => ({
      ...rule,
      channels: preference.filter((channel) => rule.channels.includes(channel)),
    })),
  };
}

export function actionsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ActionsConfig {
  const templates = parsed(ENV.templates, env, parseTemplateCatalogue, DEFAULT_TEMPLATE_CATALOGUE);
  const known = { templates: templateIds(templates), channels: CHANNELS };
  const preference = parsed(ENV.channelPreference, env, parseChannelPreference, undefined);
  // The default policy is checked against the catalogue too: custom templates may not drop
  // one it uses.
  const defaultPolicy = parseRetentionPolicy(DEFAULT_RETENTION_POLICY, known);
  return {
    templates,
    policy: parsed(
      ENV.retentionPolicy,
      env,
      (raw) => parseRetentionPolicy(raw, known),
      preference ? withChannelOrder(defaultPolicy, preference) : defaultPolicy,
    ),
    quietHours: parsed(ENV.quietHours, env, parseQuietHours, DEFAULT_QUIET_HOURS),
    frequencyCap: parsed(ENV.frequencyCap, env, parseFrequencyCap, DEFAULT_FREQUENCY_CAP),
  };
}
