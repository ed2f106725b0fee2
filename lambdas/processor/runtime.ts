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
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createDocumentClient, createDynamoDbClient } from '../adapters/dynamodb-clients';
import { createSqsClient } from '../adapters/aws-clients';
import { DynamoDbPurchaseLedger } from '../adapters/dynamodb-purchase-ledger';
import { FileNotifier } from '../adapters/file-notifier';
import { SesNotifier } from '../adapters/ses-notifier';
import { SqsDeadLetterSink } from '../adapters/sqs-dead-letter-sink';
import { TrafficOrchestratorLicenseProvider } from '../adapters/traffic-orchestrator-license-provider';
import { METRICS_NAMESPACE, SERVICES } from '../observability/metric-names';
import { systemClock, type Clock } from '../ports/clock';
import type { LicenseProvider } from '../ports/license-provider';
import type { Notifier } from '../ports/notifier';
import { parseStripeEvent } from '../stripe/parse-event';
import { composeEmail } from './compose-email';
import type { ProcessorConfig } from './processor-config';
import { PurchaseWorkflow, type MetricsSink } from './purchase-workflow';
import { createRecordProcessor } from './record-processor';

export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface ProcessorOverrides {
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  licenses?: LicenseProvider;
  notifier?: Notifier;
}

/** Secrets Manager reads are cached by Powertools; a rotated key is picked up within this time. */
const SECRET_MAX_AGE_SECONDS = 300;

export interface ProcessorRuntime {
  handler: ProcessorHandler;
  /** The same workflow the handler drives; the grace-escalation job (and tests) call it directly. */
  workflow: PurchaseWorkflow;
}

export async function createProcessorHandler(config: ProcessorConfig, overrides: ProcessorOverrides = {}): Promise<ProcessorHandler> {
  return (await createProcessorRuntime(config, overrides)).handler;
}

export async function createProcessorRuntime(config: ProcessorConfig, overrides: ProcessorOverrides = {}): Promise<ProcessorRuntime> {
  const logger = overrides.logger ?? new Logger({ serviceName: SERVICES.processor });
  const metrics = overrides.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.processor });
  const clock = overrides.clock ?? systemClock;
  const metricsSink: MetricsSink = {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
  };

  const dynamoDb = createDynamoDbClient();
  const ledger = new DynamoDbPurchaseLedger(createDocumentClient(dynamoDb), config.ledgerTableName, () => clock.nowMs());
  const licenses = overrides.licenses ?? licensesWithCurrentKey(() => readApiKey(config), (apiKey) => new TrafficOrchestratorLicenseProvider({
    apiUrl: config.trafficOrchestrator.apiUrl,
    apiKey,
    timeoutMs: config.trafficOrchestrator.timeoutMs,
  }));
  // Fail the cold start, not the first event, when the key is missing.
  if (!overrides.licenses) await readApiKey(config);
  const notifier = overrides.notifier ?? (config.notifier.kind === 'file'
    ? new FileNotifier(config.notifier.outboxDir)
    : new SesNotifier({ client: new SESv2Client({}), from: config.plans.email.from }));

  const workflow = new PurchaseWorkflow({
    ledger, licenses, notifier, composeEmail, plans: config.plans, clock, metrics: metricsSink, logger, leaseMs: config.purchaseLeaseMs,
  });

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

const LICENSE_PROVIDER_METHODS = [
  'create', 'findByPurchaseRef', 'get', 'suspend', 'reactivate', 'revoke', 'extendTo', 'changePlan', 'setDomainLimit',
] as const satisfies readonly (keyof LicenseProvider)[];

/**
 * The Traffic Orchestrator adapter for the API key in force: the key is read (through Powertools'
 * cache, refreshed every SECRET_MAX_AGE_SECONDS) before each call, and the adapter rebuilt when it
 * changed, so a rotated key is used within minutes without a redeploy or a cold start.
 */
export function licensesWithCurrentKey(readKey: () => Promise<string>, build: (apiKey: string) => LicenseProvider): LicenseProvider {
  let current: { apiKey: string; provider: LicenseProvider } | undefined;
  const provider = async (): Promise<LicenseProvider> => {
    const apiKey = await readKey();
    if (current?.apiKey !== apiKey) current = { apiKey, provider: build(apiKey) };
    return current.provider;
  };
  return Object.fromEntries(LICENSE_PROVIDER_METHODS.map((method) => [
    method,
    async (...args: unknown[]) => ((await provider())[method] as (...a: unknown[]) => Promise<unknown>)(...args),
  ])) as unknown as LicenseProvider;
}

async function readApiKey(config: ProcessorConfig): Promise<string> {
  const { apiKey } = config.trafficOrchestrator;
  if ('value' in apiKey) return apiKey.value;
  const secret = await getSecret<string>(apiKey.secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
  // The stack creates the secret with an `unset: …` placeholder until someone puts the real key in.
  if (typeof secret !== 'string' || secret.trim() === '' || secret.startsWith('unset:')) {
    throw new Error(`secret ${apiKey.secretId} holds no Traffic Orchestrator API key yet (see docs/deploy.md)`);
  }
  return secret.trim();
}
