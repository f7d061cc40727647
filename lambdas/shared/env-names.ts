/**
 * Names of the environment variables that carry configuration from CDK (or local mode) into the
 * Lambdas. Imported by `lib/` and `local/` when they set a variable and by `lambdas/` when they
 * read one, so a rename cannot leave the two sides disagreeing.
 */
export const ENV = {
  usersTable: "USERS_TABLE",
  dedupeTable: "DEDUPE_TABLE",
  contactsTable: "CONTACTS_TABLE",
  ledgerTable: "LEDGER_TABLE",
  apiKeysTable: "API_KEYS_TABLE",
  /** Model versions and the promotion calendar (lib/topology.ts, docs/data-model.md). */
  scoringTable: "SCORING_TABLE",
  eventsQueueUrl: "EVENTS_QUEUE_URL",
  scoringQueueUrl: "SCORING_QUEUE_URL",
  warningsQueueUrl: "WARNINGS_QUEUE_URL",
  retentionTopicArn: "RETENTION_TOPIC_ARN",
  marketingTopicArn: "MARKETING_TOPIC_ARN",
  /** Parallel-scan segments per scoring run. */
  scoringSegments: "SCORING_SEGMENTS",
  /** Churn rules configuration as JSON (lambdas/domain/rules.ts); unset keeps the defaults. */
  rulesConfig: "RULES_CONFIG",
  /** Risk tier boundaries as JSON (lambdas/domain/risk-tiers.ts): fixed, or quantiles of recent runs. */
  riskTiers: "RISK_TIERS",
  /** Promotion calendar as a JSON array of `{name, from, to}` (lambdas/domain/promotions.ts). */
  promotions: "PROMOTIONS",
  /** Days after a promotion during which drop- and silence-based rules are damped. */
  promotionDampingDays: "PROMOTION_DAMPING_DAYS",
  /** Days an applied event's dedupe marker is kept; longer than any redelivery or replay window. */
  dedupeTtlDays: "DEDUPE_TTL_DAYS",
  /** JSON rate table `{"base":"CNY","rates":{"USD":7.1,...}}`; amounts are converted to base. */
  currencyTable: "CURRENCY_TABLE",
  /** Events dated before this ISO instant are refused. */
  eventHorizon: "EVENT_HORIZON",
  /** Spend in the last 365 days (base currency, major units) above which a user is high value. */
  highValueThreshold: "HIGH_VALUE_THRESHOLD",
  /** Comma-separated channel preference order for retention messages, e.g. `email,push,sms`. */
  channelPreference: "CHANNEL_PREFERENCE",
  /** Retention policy as JSON (lambdas/domain/actions/policy.ts); unset keeps the default. */
  retentionPolicy: "RETENTION_POLICY",
  /** Custom message templates as JSON, merged over the built-in ones (lambdas/domain/templates.ts). */
  templates: "TEMPLATES",
  /** Quiet hours per channel as JSON (lambdas/domain/actions/quiet-hours.ts); default 21:00–09:00. */
  quietHours: "QUIET_HOURS",
  /** Global frequency cap as JSON `{"maxMessages":2,"windowDays":7}` across all channels. */
  frequencyCap: "FREQUENCY_CAP",
  /** Cost of one message per channel, JSON `{"sms":0.05,"email":0.001,"push":0}` (base currency). */
  messageCosts: "WINBACK_MESSAGE_COSTS",
  /** `aws` (SNS SMS, SES, SNS mobile push) or `outbox` (JSON lines file, local mode). */
  channelProvider: "CHANNEL_PROVIDER",
  outboxPath: "OUTBOX_PATH",
  /** Verified SES identity retention e-mails are sent from. */
  emailFrom: "EMAIL_FROM",
  /** SES configuration set whose event destination publishes bounces and complaints to SNS. */
  sesConfigurationSet: "SES_CONFIGURATION_SET",
  /** `off` skips SNS signature checks on provider feedback (local mode: fauxqs does not sign). */
  feedbackSignatures: "FEEDBACK_SIGNATURES",
  /** The only topic provider feedback is accepted from; unset accepts any signed topic. */
  feedbackTopicArn: "FEEDBACK_TOPIC_ARN",
  /** Emulator endpoints, set only in local mode; on AWS the SDK finds the regional endpoints. */
  dynamodbEndpoint: "CHURNWATCH_DYNAMODB_ENDPOINT",
  sqsEndpoint: "CHURNWATCH_SQS_ENDPOINT",
  snsEndpoint: "CHURNWATCH_SNS_ENDPOINT",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
