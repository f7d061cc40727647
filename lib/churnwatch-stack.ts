import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { StageConfig } from "./config.js";
import { Actions } from "./constructs/actions.js";
import { FeatureStore } from "./constructs/feature-store.js";
import { Ingestion } from "./constructs/ingestion.js";
import { Observability } from "./constructs/observability.js";
import { Scoring } from "./constructs/scoring.js";

export interface ChurnwatchStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * One churnwatch stage. Composes the parts and nothing else: what each part builds and whom it
 * may call comes from `lib/topology.ts` through the constructs.
 */
export class ChurnwatchStack extends Stack {
  readonly store: FeatureStore;
  readonly ingestion: Ingestion;
  readonly actions: Actions;
  readonly scoring: Scoring;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ChurnwatchStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.store = new FeatureStore(this, "FeatureStore", { config });
    this.ingestion = new Ingestion(this, "Ingestion", { config, store: this.store });
    this.actions = new Actions(this, "Actions", { config, store: this.store });
    // Rules a single event can trip warn from the features path, within seconds.
    const features = this.ingestion.functions.find((fn) => fn.name === "features");
    if (features) this.actions.warningsQueue.bindSender(features);
    // The push sender turns an invalid device token into a push_token_invalid event.
    const push = this.actions.functions.find((fn) => fn.name === "push");
    if (push) this.ingestion.eventsQueue.bindSender(push);
    this.scoring = new Scoring(this, "Scoring", {
      config,
      store: this.store,
      warningsQueue: this.actions.warningsQueue,
    });
    // The last segment of a run publishes the run's digest for marketing.
    const score = this.scoring.functions.find((fn) => fn.name === "score");
    if (score) this.actions.marketingTopic.bindPublisher(score);

    const queues = [
      this.ingestion.eventsQueue,
      this.scoring.scoringQueue,
      this.actions.warningsQueue,
      ...Object.values(this.actions.channelQueues),
    ];
    this.observability = new Observability(this, "Observability", {
      config,
      api: this.ingestion.api,
      functions: [
        ...this.ingestion.functions,
        ...this.scoring.functions,
        ...this.actions.functions,
      ],
      deadLetterQueues: {
        ...Object.fromEntries(queues.map((q) => [q.name, q.deadLetterQueue])),
        schedule: this.scoring.scheduleDeadLetterQueue,
        release: this.actions.releaseJob.deadLetterQueue,
      },
    });
  }
}
