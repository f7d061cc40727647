import type { Channel } from "../../../lib/topology.js";
import type { ChannelProvider } from "../../ports.js";
import { ses, sns } from "../../shared/clients.js";
import { now } from "../../shared/clock.js";
import { ConfigError, optionalEnv, requireEnv } from "../../shared/config.js";
import { ENV } from "../../shared/env-names.js";
import { SesEmailProvider, SnsPushProvider, SnsSmsProvider } from "./aws-providers.js";
import { OutboxProvider } from "./outbox-provider.js";

/** The provider configured for a channel: real AWS services, or local mode's outbox file. */
export function providerFor(channel: Channel): ChannelProvider {
  const kind = optionalEnv(ENV.channelProvider) ?? "aws";
  // The outbox stamps sends with the actions path's clock, which local mode can move.
  if (kind === "outbox") return new OutboxProvider(requireEnv(ENV.outboxPath), now);
  if (kind !== "aws") {
    throw new ConfigError(`${ENV.channelProvider} must be "aws" or "outbox", got "${kind}"`);
  }
  switch (channel) {
    case "sms":
      return new SnsSmsProvider(sns());
    case "email":
      return new SesEmailProvider(
        ses(),
        requireEnv(ENV.emailFrom),
        optionalEnv(ENV.sesConfigurationSet),
      );
    case "push":
      return new SnsPushProvider(sns());
  }
}
