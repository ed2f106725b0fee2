/**
 * The processor running over real protocols, for integration tests:
 *   fauxqs (SQS, queue + DLQ with redrive) → the Lambda-style event source → the real processor
 *   runtime → dynalite (idempotency + ledger) → the real Traffic Orchestrator SDK over HTTP → the
 *   fake Traffic Orchestrator, with e-mails written to a temporary outbox folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createSqsClient } from '../../lambdas/adapters/aws-clients';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../../lambdas/adapters/dynamodb-purchase-ledger';
import { readOutbox, type OutboxEmail } from '../../lambdas/adapters/file-notifier';
import { SqsEventQueue } from '../../lambdas/adapters/sqs-event-queue';
import { ENV } from '../../lambdas/config/env';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { TrafficOrchestratorLicenseProvider } from '../../lambdas/adapters/traffic-orchestrator-license-provider';
import type { Clock } from '../../lambdas/ports/clock';
import type { LicenseProvider } from '../../lambdas/ports/license-provider';
import type { GraceEscalationSummary } from '../../lambdas/grace-escalation/grace-escalation-job';
import { createGraceEscalationHandler } from '../../lambdas/grace-escalation/runtime';
import { readProcessorConfig } from '../../lambdas/processor/processor-config';
import { createProcessorRuntime, type ProcessorHandler } from '../../lambdas/processor/runtime';
import { readReconciliationConfig } from '../../lambdas/reconciliation/reconciliation-config';
import type { ReconciliationSummary } from '../../lambdas/reconciliation/reconciliation-job';
import { createReconciliationHandler } from '../../lambdas/reconciliation/runtime';
import { createLocalContext } from '../../local/lambda-context';
import { SqsEventSource } from '../../local/sqs-event-source';
import { createQueueWithDeadLetter } from '../../local/sqs-queues';
import { startDynalite, type RunningDynalite } from './dynalite';
import { startFakeStripeApi, type FakeStripeApi } from './fake-stripe-api';
import { startFakeTrafficOrchestrator, type FakeTrafficOrchestrator } from './fake-traffic-orchestrator';
import type { StripeEventJson } from './stripe-events';
import plansJson from '../../config/plans.json';

const TO_API_KEY = 'to_test_key';
export const STRIPE_API_KEY = 'rk_test_reconciliation';
let queueCounter = 0;

/** Powertools Metrics that keeps what was added instead of printing EMF. */
export class RecordingMetrics extends Metrics {
  readonly recorded: { name: string; value: number }[] = [];

  override addMetric(name: string, _unit: Parameters<Metrics['addMetric']>[1], value: number): this {
    this.recorded.push({ name, value });
    return this;
  }

  override publishStoredMetrics(): this {
    return this;
  }

  total(name: string): number {
    return this.recorded.filter((metric) => metric.name === name).reduce((sum, metric) => sum + metric.value, 0);
  }
}

/** Real time plus an offset tests can move (the grace ladder is measured against it; leases still expire in real time). */
export class TestClock implements Clock {
  private offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
  set(ms: number): void {
    this.offsetMs = ms - Date.now();
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface HarnessOptions {
  maxReceiveCount?: number;
  leaseSeconds?: number;
  toTimeoutMs?: number;
  clock?: TestClock;
  /** The Lambda timeout the event source reports in the context (Powertools' in-progress expiry follows it). */
  lambdaTimeoutMs?: number;
  /** Wraps the real Traffic Orchestrator adapter, e.g. to simulate a crash right after a vendor call. */
  wrapLicenses?: (real: LicenseProvider) => LicenseProvider;
}

export interface ProcessorHarness {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  to: FakeTrafficOrchestrator;
  db: RunningDynalite;
  ledger: DynamoDbPurchaseLedger;
  metrics: RecordingMetrics;
  clock: TestClock;
  outboxDir: string;
  handler: ProcessorHandler;
  source: SqsEventSource;
  /** Enqueues events as the ingest Lambda does (raw JSON body + attributes). */
  send(...events: StripeEventJson[]): Promise<void>;
  /** Processes until the queue is empty (failed records reappear at once: visibility timeout 0). */
  drain(): Promise<void>;
  deadLetters(): Promise<Message[]>;
  /** Metrics of the grace-escalation job (its own service, as deployed). */
  graceMetrics: RecordingMetrics;
  /**
   * One run of the grace-escalation Lambda, as the scheduler invokes it, at the harness clock's
   * time. `lambdaTimeoutMs` is the time the run has (a short one makes it stop early).
   */
  runGraceEscalation(options?: { scheduledTime?: string; lambdaTimeoutMs?: number }): Promise<GraceEscalationSummary>;
  /** The fake Stripe API (Events API) that reconciliation reads; add the events Stripe "has". */
  stripe: FakeStripeApi;
  /** Metrics of the reconciliation job (its own service, as deployed). */
  reconciliationMetrics: RecordingMetrics;
  /**
   * One run of the reconciliation Lambda at the harness clock's time, over the fake Stripe API,
   * dynalite and fauxqs. The environment is the deployed one, plus `env` (e.g. another API key).
   */
  runReconciliation(env?: NodeJS.ProcessEnv): Promise<ReconciliationSummary>;
  outbox(): Promise<OutboxEmail[]>;
  stop(): Promise<void>;
}

export async function startProcessorHarness(options: HarnessOptions = {}): Promise<ProcessorHarness> {
  const fauxqsEndpoint = process.env.FAUXQS_ENDPOINT;
  if (!fauxqsEndpoint) throw new Error('FAUXQS_ENDPOINT is not set: run through jest (globalSetup starts fauxqs)');
  process.env.AWS_ENDPOINT_URL_SQS = fauxqsEndpoint;

  queueCounter += 1;
  const suffix = `${process.pid}-${queueCounter}-${Date.now()}`;
  const db = await startDynalite({ ledger: `ledger-${suffix}`, idempotency: `idempotency-${suffix}` });
  const to = await startFakeTrafficOrchestrator({ apiKey: TO_API_KEY });
  const stripe = await startFakeStripeApi({ apiKey: STRIPE_API_KEY });
  const sqs = createSqsClient({ endpoint: fauxqsEndpoint });
  const { queue, deadLetter } = await createQueueWithDeadLetter(sqs, {
    name: `provisioning-${suffix}`,
    deadLetterName: `dlq-${suffix}`,
    // Failed records reappear at once, so a test drains retries without waiting.
    visibilityTimeoutSeconds: 0,
    maxReceiveCount: options.maxReceiveCount ?? 3,
  });
  const outboxDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));

  const config = readProcessorConfig({
    [ENV.stage]: 'test',
    [ENV.ledgerTable]: db.tables.ledger,
    [ENV.idempotencyTable]: db.tables.idempotency,
    [ENV.deadLetterQueueUrl]: deadLetter.url,
    [ENV.purchaseLeaseSeconds]: String(options.leaseSeconds ?? 60),
    [ENV.toApiUrl]: to.url,
    [ENV.toApiKey]: TO_API_KEY,
    [ENV.toTimeoutMs]: String(options.toTimeoutMs ?? 1000),
    [ENV.plansConfig]: JSON.stringify(plansJson),
    [ENV.notifier]: 'file',
    [ENV.emailOutboxDir]: outboxDir,
  });
  const metrics = new RecordingMetrics();
  const clock = options.clock ?? new TestClock();
  const realLicenses = new TrafficOrchestratorLicenseProvider({ apiUrl: to.url, apiKey: TO_API_KEY, timeoutMs: options.toTimeoutMs ?? 1000 });
  const { handler } = await createProcessorRuntime(config, {
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    clock,
    licenses: options.wrapLicenses ? options.wrapLicenses(realLicenses) : realLicenses,
  });
  const graceMetrics = new RecordingMetrics();
  const graceEscalation = await createGraceEscalationHandler(config, {
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: graceMetrics,
    clock,
    licenses: options.wrapLicenses ? options.wrapLicenses(realLicenses) : realLicenses,
  });
  const source = new SqsEventSource({
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    handler,
    createContext: () => createLocalContext('processor', options.lambdaTimeoutMs ?? 30_000),
  });
  const eventQueue = new SqsEventQueue(sqs, queue.url);
  const reconciliationMetrics = new RecordingMetrics();
  const ledger = new DynamoDbPurchaseLedger(createDocumentClient(db.client), db.tables.ledger, () => clock.nowMs());

  return {
    sqs, queueUrl: queue.url, deadLetterQueueUrl: deadLetter.url, to, db, ledger, metrics, graceMetrics, clock, outboxDir, handler, source,
    stripe, reconciliationMetrics,
    async send(...events) {
      for (const event of events) {
        await eventQueue.enqueue({ eventId: event.id, eventType: event.type, created: event.created, body: JSON.stringify(event) });
      }
    },
    async drain() {
      await source.drain(200);
    },
    async deadLetters() {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: deadLetter.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0,
      }));
      return Messages;
    },
    outbox: () => readOutbox(outboxDir),
    runGraceEscalation({ scheduledTime, lambdaTimeoutMs = 300_000 } = {}) {
      return graceEscalation(scheduledTime ? { scheduledTime } : {}, createLocalContext(SERVICES.graceEscalation, lambdaTimeoutMs));
    },
    async runReconciliation(env = {}) {
      const config = readReconciliationConfig({
        [ENV.stage]: 'test',
        [ENV.ledgerTable]: db.tables.ledger,
        [ENV.queueUrl]: queue.url,
        [ENV.stripeApiUrl]: stripe.url,
        [ENV.stripeApiKey]: STRIPE_API_KEY,
        [ENV.stripeTimeoutMs]: '2000',
        ...env,
      });
      const run = await createReconciliationHandler(config, { logger: new Logger({ logLevel: 'SILENT' }), metrics: reconciliationMetrics, clock });
      return run({}, createLocalContext(SERVICES.reconciliation, 300_000));
    },
    async stop() {
      await to.stop();
      await stripe.stop();
      await db.stop();
      sqs.destroy();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}
