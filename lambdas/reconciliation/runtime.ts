/**
 * Composition root of the reconciliation job: Stripe's Events API (stripe library), the ledger
 * (DynamoDB), the provisioning queue (SQS) for events that never arrived. The Lambda handler and
 * the local pipeline's scheduler both use it.
 */
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createSqsClient } from '../adapters/aws-clients';
import { createDocumentClient, createDynamoDbClient } from '../adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../adapters/dynamodb-purchase-ledger';
import { clientForCurrentCredential, readCredential } from '../adapters/secret-credentials';
import { SqsEventQueue } from '../adapters/sqs-event-queue';
import { StripeApiEventHistory } from '../adapters/stripe-event-history';
import { METRICS_NAMESPACE, SERVICES } from '../observability/metric-names';
import { powertoolsMetricsSink } from '../observability/metrics-sink';
import { systemClock, type Clock } from '../ports/clock';
import type { EventQueue } from '../ports/event-queue';
import type { StripeEventHistory } from '../ports/stripe-event-history';
import { checkStripeKeyMode, type ReconciliationConfig } from './reconciliation-config';
import { runReconciliation, type ReconciliationSummary } from './reconciliation-job';

export type ReconciliationHandler = (event: unknown, context: Context) => Promise<ReconciliationSummary>;

export interface ReconciliationOverrides {
  logger?: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** Where lost events go back (default: SQS at the configured queue URL). The local pipeline also saves it to disk. */
  queue?: EventQueue;
}

export async function createReconciliationHandler(config: ReconciliationConfig, overrides: ReconciliationOverrides = {}): Promise<ReconciliationHandler> {
  const logger = overrides.logger ?? new Logger({ serviceName: SERVICES.reconciliation });
  const metrics = overrides.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.reconciliation });
  const clock = overrides.clock ?? systemClock;
  const metricsSink = powertoolsMetricsSink(metrics);
  const ledger = new DynamoDbPurchaseLedger(createDocumentClient(createDynamoDbClient()), config.ledgerTableName, () => clock.nowMs());
  const queue = overrides.queue ?? new SqsEventQueue(createSqsClient(), config.queueUrl);

  // The key in force at every run (a rotated key is used without a cold start), checked before use.
  const history = clientForCurrentCredential<StripeEventHistory>(
    async () => {
      const apiKey = await readCredential(config.stripe.apiKey, 'Stripe API key');
      checkStripeKeyMode(apiKey, config.stage);
      return apiKey;
    },
    (apiKey) => new StripeApiEventHistory({ apiKey, apiUrl: config.stripe.apiUrl, timeoutMs: config.stripe.timeoutMs }),
  );
  // Fail the cold start, not the first run, when the key is missing or of the wrong mode.
  await history();

  return async () => {
    try {
      return await runReconciliation(
        { history: await history(), ledger, queue, clock, metrics: metricsSink, logger },
        { lookbackSeconds: config.lookbackSeconds, settleSeconds: config.settleSeconds },
      );
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
