/**
 * One SQS record → one Stripe event → the workflow, and what happens when it fails:
 *
 *   retryable (vendor down, purchase busy, invoice before its checkout, …)
 *       → failure recorded with its reason, the record is reported failed; SQS redelivers it and,
 *         after maxReceiveCount, moves it to the DLQ where the recorded reason explains it
 *   final (bad metadata, unknown price, unparseable body, vendor said 4xx)
 *       → failure recorded, the message sent straight to the DLQ with its reason, the record
 *         reported done: retrying cannot help, and it must not loop
 *
 * The idempotent wrapper (Powertools, keyed on the Stripe event id) sits inside this, so a failed
 * attempt leaves no idempotency record behind and a later redrive runs again.
 */
import type { SQSRecord } from 'aws-lambda';
import { EVENT_MESSAGE_ATTRIBUTES, queuedEventId } from '../adapters/sqs-event-queue';
import { BUSINESS_RULE_REASONS, ProcessingError, isProcessingError } from '../domain/errors';
import type { DeadLetterSink } from '../ports/dead-letter-sink';
import type { PurchaseLedger } from '../ports/purchase-ledger';
import type { Clock } from '../ports/clock';
import { METRIC } from '../observability/metric-names';
import type { MetricsSink } from '../observability/metrics-sink';
import type { WorkflowLogger, WorkflowResult } from './purchase-workflow';

export interface RecordProcessorDependencies {
  /** Parses the body and applies it, idempotently per Stripe event id. */
  processEvent: (record: SQSRecord) => Promise<WorkflowResult & { replayed?: boolean }>;
  ledger: PurchaseLedger;
  deadLetters: DeadLetterSink;
  metrics: MetricsSink;
  logger: WorkflowLogger;
  clock: Clock;
}

export function createRecordProcessor(deps: RecordProcessorDependencies): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    const eventId = queuedEventId(record.messageAttributes?.[EVENT_MESSAGE_ATTRIBUTES.eventId]?.stringValue, record.body);
    const eventType = record.messageAttributes?.[EVENT_MESSAGE_ATTRIBUTES.eventType]?.stringValue ?? null;
    try {
      const result = await deps.processEvent(record);
      // `replayed`: the idempotency store answered with an earlier run's result (Stripe retry, redrive, duplicate).
      deps.metrics.count(result.replayed ? METRIC.duplicateEvent : METRIC.eventProcessed);
      // An earlier failure of this event is over. The receive count cannot tell whether there was
      // one: a redriven message starts again at 1. Deleting a record that is not there is one write.
      if (eventId) await deps.ledger.clearFailure(eventId);
      deps.logger.info('Event processed', { eventId, eventType, ...result });
    } catch (error) {
      const failure = classify(error);
      deps.metrics.count(METRIC.eventFailed);
      if (BUSINESS_RULE_REASONS.has(failure.reason)) deps.metrics.count(METRIC.businessRuleViolation);
      const details = { eventId, eventType, purchaseId: failure.purchaseId, reason: failure.reason, retryable: failure.retryable, error: failure.message };
      if (eventId) {
        await deps.ledger.recordFailure(
          { eventId, eventType, purchaseId: failure.purchaseId, reason: failure.reason, retryable: failure.retryable, message: failure.message },
          deps.clock.nowMs(),
        );
      }
      if (failure.retryable) {
        deps.logger.warn('Event failed; SQS will retry it', details);
        throw failure;
      }
      await deps.deadLetters.send({ body: record.body, eventId, eventType, reason: failure.reason, message: failure.message });
      deps.metrics.count(METRIC.eventDeadLettered);
      deps.logger.error('Event failed for good; sent to the dead-letter queue', details);
    }
  };
}

function classify(error: unknown): ProcessingError {
  if (isProcessingError(error)) return error;
  const name = (error as Error | undefined)?.name;
  if (name === 'IdempotencyAlreadyInProgressError') {
    return new ProcessingError('event_in_progress', 'the same Stripe event is being processed by another worker', { cause: error });
  }
  // A Powertools idempotency wrapper rethrows our error as its cause.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (isProcessingError(cause)) return cause;
  return new ProcessingError('internal_error', (error as Error | undefined)?.message ?? String(error), { cause: error });
}

