/**
 * Composition root of the grace-escalation job: the same purchase workflow as the processor (ledger,
 * Traffic Orchestrator, e-mail), driven by the scheduler instead of the queue. The Lambda handler and
 * the local pipeline's scheduler both use it.
 */
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbClient } from '../adapters/dynamodb-clients';
import { METRICS_NAMESPACE, SERVICES } from '../observability/metric-names';
import { createWorkflowRuntime, type WorkflowOverrides } from '../processor/workflow-runtime';
import type { WorkflowConfig } from '../processor/workflow-config';
import { runGraceEscalation, type GraceEscalationSummary } from './grace-escalation-job';
import { tickIdOf } from './scheduled-tick';

export type GraceEscalationHandler = (event: unknown, context: Context) => Promise<GraceEscalationSummary>;

export interface GraceEscalationOverrides extends WorkflowOverrides {
  logger?: Logger;
  metrics?: Metrics;
}

export async function createGraceEscalationHandler(config: WorkflowConfig, overrides: GraceEscalationOverrides = {}): Promise<GraceEscalationHandler> {
  const logger = overrides.logger ?? new Logger({ serviceName: SERVICES.graceEscalation });
  const metrics = overrides.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.graceEscalation });
  const { workflow, ledger, clock, metricsSink } = await createWorkflowRuntime(config, { logger, metrics }, createDynamoDbClient(), overrides);
  // One purchase takes at most a few vendor calls and e-mails, each bounded by the TO timeout;
  // the lease is sized past that, so it is the time one purchase may take.
  const reserveMs = config.purchaseLeaseMs;

  return async (event, context) => {
    try {
      return await runGraceEscalation(
        { ledger, workflow, clock, metrics: metricsSink, logger },
        { tickId: tickIdOf(event, clock.nowMs()), remainingMs: () => context.getRemainingTimeInMillis(), reserveMs },
      );
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
