/**
 * Composition root of the processor: builds the adapters from the validated configuration and
 * wires Powertools batch + idempotency around the record processor. The Lambda handler and the
 * local pipeline (local/) both use it, so they run the same code.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbClient } from '../adapters/dynamodb-clients';
import { createSqsClient } from '../adapters/aws-clients';
import { SqsDeadLetterSink } from '../adapters/sqs-dead-letter-sink';
import { METRICS_NAMESPACE, SERVICES } from '../observability/metric-names';
import { parseStripeEvent } from '../stripe/parse-event';
import type { ProcessorConfig } from './processor-config';
import type { PurchaseWorkflow } from './purchase-workflow';
import { createRecordProcessor } from './record-processor';
import { createWorkflowRuntime, type WorkflowOverrides } from './workflow-runtime';

export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface ProcessorOverrides extends WorkflowOverrides {
  logger?: Logger;
  metrics?: Metrics;
}

export interface ProcessorRuntime {
  handler: ProcessorHandler;
  /** The same workflow the handler drives (tests call it directly). */
  workflow: PurchaseWorkflow;
}

export async function createProcessorHandler(config: ProcessorConfig, overrides: ProcessorOverrides = {}): Promise<ProcessorHandler> {
  return (await createProcessorRuntime(config, overrides)).handler;
}

export async function createProcessorRuntime(config: ProcessorConfig, overrides: ProcessorOverrides = {}): Promise<ProcessorRuntime> {
  const logger = overrides.logger ?? new Logger({ serviceName: SERVICES.processor });
  const metrics = overrides.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.processor });
  const dynamoDb = createDynamoDbClient();
  const { workflow, ledger, clock, metricsSink } = await createWorkflowRuntime(config, { logger, metrics }, dynamoDb, overrides);

  const idempotencyConfig = new IdempotencyConfig({
    // The Stripe event id, not the SQS message id: a DLQ redrive or a replay gets a new message id.
    eventKeyJmesPath: 'powertools_json(body).id',
    expiresAfterSeconds: config.idempotencyExpirySeconds,
    // Called only when the stored result of an earlier run is returned: mark it, so the record
    // processor counts a duplicate rather than a processed event.
    responseHook: (response) => ({ ...(response as object), replayed: true }),
  });
  const processEvent = makeIdempotent(
    async (record: SQSRecord) => workflow.applyStripeEvent(parseStripeEvent(record.body)),
    {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: config.idempotencyTableName, awsSdkV3Client: dynamoDb }),
      config: idempotencyConfig,
    },
  );

  const recordProcessor = createRecordProcessor({
    processEvent, ledger, deadLetters: new SqsDeadLetterSink(createSqsClient(), config.deadLetterQueueUrl), metrics: metricsSink, logger, clock,
  });
  const handler: ProcessorHandler = async (event, context) => {
    // A BatchProcessor keeps per-batch state: one per invocation, so overlapping invocations in
    // one process (the local pipeline, tests) never mix their results.
    const batch = new BatchProcessor(EventType.SQS);
    idempotencyConfig.registerLambdaContext(context);
    try {
      return await processPartialResponse(event, recordProcessor, batch, {
        context,
        // Sequential: two events of one purchase in a batch must not race (the lease would make
        // one of them retry, which is safe but slow).
        processInParallel: false,
        // A batch where every record failed is still a partial response: the Lambda Errors
        // alarm then means a crash, not an outage at the license vendor.
        throwOnFullBatchFailure: false,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
  return { handler, workflow };
}
