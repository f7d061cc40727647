import type { MarketingNotifier } from "../marketing-ports.js";
import { sns } from "../shared/clients.js";
import { ConfigError, optionalEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { OutboxMarketingNotifier } from "./outbox-marketing-notifier.js";
import { SnsMarketingNotifier } from "./sns-marketing-notifier.js";

/**
 * The marketing topic, or in local mode (CHANNEL_PROVIDER=outbox) the same outbox file the
 * channel senders write, its lines told apart by `kind: "marketing"`.
 */
export function marketingNotifierFor(): MarketingNotifier {
  const kind = optionalEnv(ENV.channelProvider) ?? "aws";
  if (kind === "outbox") return new OutboxMarketingNotifier(requireEnv(ENV.outboxPath));
  if (kind !== "aws") {
    throw new ConfigError(`${ENV.channelProvider} must be "aws" or "outbox", got "${kind}"`);
  }
  return new SnsMarketingNotifier(sns(), requireEnv(ENV.marketingTopicArn));
}
