/**
 * The whole product on one machine: the same ingest and processor handlers as deployed, on the
 * same protocols, with local stand-ins for the AWS pieces:
 *
 *   HTTP server (API Gateway) ─▶ ingest handler ─▶ fauxqs (SQS queue + DLQ, deployed redrive policy)
 *       ─▶ SqsEventSource (Lambda's SQS event source: batches, partial failures, visibility timeout)
 *       ─▶ processor handler ─▶ dynalite (DynamoDB, files on disk) · Traffic Orchestrator (real or
 *          built-in fake) · e-mails to a folder · readable logs and metrics on the console
 *   LocalScheduler (EventBridge Scheduler) ─▶ grace-escalation handler (the dunning ladder by time),
 *       on the same ledger, Traffic Orchestrator and outbox; with STRIPE_API_URL set, the
 *       reconciliation handler too (Stripe's paid checkouts vs the ledger; lost events requeued)
 *
 * Everything that must survive a restart lives in the data folder: the DynamoDB files, the queued
 * messages (local-queues.ts), the built-in TO's licenses, the generated signing secret, the outbox.
 * Used by local/start.ts (`npm start`), local/demo.ts and the integration test.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { SQSBatchResponse, SQSEvent, Context, SQSRecord } from 'aws-lambda';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-clients';
import { createSqsClient } from '../lambdas/adapters/aws-clients';
import { EVENT_MESSAGE_ATTRIBUTES, queuedEventId } from '../lambdas/adapters/sqs-event-queue';
import { DynamoDbPurchaseLedger } from '../lambdas/adapters/dynamodb-purchase-ledger';
import { readOutbox } from '../lambdas/adapters/file-notifier';
import { ENV } from '../lambdas/config/env';
import { createIngestDeps, createIngestHandler } from '../lambdas/ingest/handler';
import { readIngestConfig } from '../lambdas/ingest/ingest-config';
import { SERVICES } from '../lambdas/observability/metric-names';
import { readProcessorConfig } from '../lambdas/processor/processor-config';
import { createProcessorHandler } from '../lambdas/processor/runtime';
import { createGraceEscalationHandler } from '../lambdas/grace-escalation/runtime';
import { readReconciliationConfig } from '../lambdas/reconciliation/reconciliation-config';
import { createReconciliationHandler } from '../lambdas/reconciliation/runtime';
import { loadPlansFile } from '../lib/config/plans-file';
import { describePurchase } from '../ops/operations';
import type { PurchaseView } from './local-client';
import { ConsoleMetrics, formatLine, ReadableLogger, type ConsoleOutput } from './console-output';
import { lockDataFolder } from './data-folder-lock';
import { createLocalContext } from './lambda-context';
import { DEPLOYED_DEFAULTS, type LocalPipelineOptions } from './local-config';
import { LOCAL_TABLES, startLocalDynamoDb } from './local-dynamodb';
import { createLocalHttpServer, WEBHOOK_PATH, type LocalViews } from './local-http-server';
import { startLocalQueues, type LocalQueues } from './local-queues';
import { LocalScheduler, localScheduledJobs } from './local-scheduler';
import { startLocalTrafficOrchestrator } from './local-traffic-orchestrator';
import { SqsEventSource } from './sqs-event-source';

export interface RunningLocalPipeline {
  /** The port actually listened on (useful with PORT=0). */
  port: number;
  /** http://<host>:<port> */
  url: string;
  webhookUrl: string;
  /** The secret(s) the webhook accepts; the first one signs the demo's events. */
  webhookSecrets: string[];
  /** Where the generated development secret is kept; undefined when STRIPE_WEBHOOK_SECRET was given. */
  generatedSecretFile?: string;
  trafficOrchestrator: { builtIn: boolean; url: string; apiKey?: string };
  dataDir: string;
  outboxDir: string;
  stripeApiUrl: string | null;
  scheduledJobs: Array<{ name: string; everySeconds: number }>;
  queue: { visibilityTimeoutSeconds: number; maxReceiveCount: number; batchSize: number; restored: LocalQueues['restored'] };
  /** Stops taking webhooks, lets the batch in flight finish, saves the queues and the fake TO, closes the data folder. */
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly host: string, readonly port: number) {
    super(`port ${port} on ${host} is already in use`);
    this.name = 'PortInUseError';
  }
}

const SECRET_FILE = 'webhook-secret';
/**
 * Locally an event is usually processed within a second, so reconciliation judges it after a minute
 * (deployed: 15 minutes, the queue's whole retry span).
 */
const LOCAL_RECONCILIATION_SETTLE_SECONDS = 60;
/** How many processed event ids the /local/events view remembers (since this start). */
const REMEMBERED_EVENTS = 10_000;
/** After this, connections still open at shutdown are cut (a client that never finishes its request). */
const HTTP_CLOSE_GRACE_MS = 5000;

export async function startLocalPipeline(options: LocalPipelineOptions, output: ConsoleOutput): Promise<RunningLocalPipeline> {
  const log = (source: string, message: string, fields?: Record<string, unknown>, level?: 'WARN' | 'ERROR') => {
    if (level === 'ERROR' || output.level !== 'silent') output.write(formatLine(source, message, fields, level));
  };
  const reportError = (source: string, message: string) => (error: unknown) =>
    log(source, message, { error: (error as Error)?.message ?? String(error) }, 'ERROR');

  // Shutdown steps, in the order they must run; on a failed start, those registered so far run.
  const shutdown: Array<{ name: string; run: () => Promise<void> }> = [];
  const runShutdown = async (): Promise<void> => {
    for (const step of shutdown.splice(0)) {
      try {
        await step.run();
      } catch (error) {
        reportError('local', `shutdown step "${step.name}" failed`)(error);
      }
    }
  };

  try {
    // The port first: a clash is the most common start problem, and it is reported before anything else starts.
    const http = createLocalHttpServer(reportError('http', 'request failed'));
    const port = await listen(http.server, options.port, options.host);
    shutdown.push({ name: 'http', run: () => closeServer(http.server) });

    const lock = await lockDataFolder(options.dataDir);
    const { secrets, generatedFile } = await webhookSecrets(options);
    loadPlansFile(options.plansFile); // validates, naming the file and the entry on a mistake
    const plansText = await readFile(options.plansFile, 'utf8');

    const dynamo = await startLocalDynamoDb(options.dataDir);
    const queues = await startLocalQueues({
      dataDir: options.dataDir,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      maxReceiveCount: options.maxReceiveCount,
      onError: (message, error) => reportError('queue', message)(error),
    });
    const to = await startLocalTrafficOrchestrator(options.trafficOrchestrator, { dataDir: options.dataDir, timeoutMs: options.toTimeoutMs });

    // The handlers build their AWS clients from the standard environment, as in Lambda: point every
    // one of them at the emulators, with a fake identity, so nothing here can reach AWS.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: queues.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const sqs = createSqsClient();
    const ingestConfig = readIngestConfig({
      [ENV.stage]: 'test',
      [ENV.queueUrl]: queues.provisioning.url,
      [ENV.signingSecrets]: secrets.join(','),
      [ENV.maxBodyBytes]: String(DEPLOYED_DEFAULTS.maxBodyBytes),
    });
    const ingestDeps = createIngestDeps(ingestConfig, {
      sqsClient: sqs,
      logger: new ReadableLogger('ingest', output),
      metrics: new ConsoleMetrics(SERVICES.ingest, output),
    });
    const sqsQueue = ingestDeps.queue;
    // Stripe hears 200 only once the event is also in the data folder: a crash right after loses nothing.
    ingestDeps.queue = { enqueue: async (event) => { await sqsQueue.enqueue(event); await queues.save(); } };
    const ingest = createIngestHandler(ingestDeps);

    const processorConfig = readProcessorConfig({
      [ENV.stage]: 'test',
      [ENV.ledgerTable]: LOCAL_TABLES.ledger,
      [ENV.idempotencyTable]: LOCAL_TABLES.idempotency,
      [ENV.deadLetterQueueUrl]: queues.deadLetter.url,
      [ENV.idempotencyExpirySeconds]: String(DEPLOYED_DEFAULTS.idempotencyExpirySeconds),
      [ENV.purchaseLeaseSeconds]: String(DEPLOYED_DEFAULTS.purchaseLeaseSeconds),
      [ENV.toApiUrl]: to.apiUrl,
      [ENV.toApiKey]: to.apiKey,
      [ENV.toTimeoutMs]: String(options.toTimeoutMs),
      [ENV.plansConfig]: plansText,
      [ENV.notifier]: 'file',
      [ENV.emailOutboxDir]: options.outboxDir,
    });
    const processor = await createProcessorHandler(processorConfig, {
      logger: new ReadableLogger('processor', output),
      metrics: new ConsoleMetrics(SERVICES.processor, output),
    });

    const processed = new Set<string>();
    const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
      try {
        const response = await processor(event, context);
        const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        for (const record of event.Records) {
          const eventId = eventIdOf(record);
          if (eventId && !failed.has(record.messageId)) remember(processed, eventId);
        }
        return response;
      } finally {
        // The built-in TO's licenses go to disk with the ledger changes they belong to.
        await to.save().catch(reportError('traffic-orch', 'could not save the built-in Traffic Orchestrator licenses'));
      }
    };
    const eventSource = new SqsEventSource({
      sqs,
      queueUrl: queues.provisioning.url,
      queueArn: queues.provisioning.arn,
      handler,
      createContext: () => createLocalContext(SERVICES.processor, DEPLOYED_DEFAULTS.processorTimeoutSeconds * 1000),
      batchSize: options.batchSize,
      waitTimeSeconds: DEPLOYED_DEFAULTS.batchingWindowSeconds || 1,
      onError: reportError('processor', 'batch failed'),
    });

    const graceEscalation = await createGraceEscalationHandler(processorConfig, {
      logger: new ReadableLogger('grace', output),
      metrics: new ConsoleMetrics(SERVICES.graceEscalation, output),
    });
    const reconciliation = options.stripeApiUrl === null ? null : await createReconciliationHandler(readReconciliationConfig({
      [ENV.stage]: 'test',
      [ENV.ledgerTable]: LOCAL_TABLES.ledger,
      [ENV.queueUrl]: queues.provisioning.url,
      [ENV.stripeApiUrl]: options.stripeApiUrl,
      [ENV.stripeApiKey]: options.stripeApiKey,
      [ENV.reconciliationSettleSeconds]: String(LOCAL_RECONCILIATION_SETTLE_SECONDS),
    }), {
      logger: new ReadableLogger('reconcile', output),
      metrics: new ConsoleMetrics(SERVICES.reconciliation, output),
      // A requeued event is kept in the data folder like a webhook, so a restart cannot lose it.
      queue: ingestDeps.queue,
    });
    const scheduler = new LocalScheduler(
      localScheduledJobs({
        graceEscalation: async (event, context) => {
          try {
            return await graceEscalation(event, context);
          } finally {
            // Ladder steps change licenses at the built-in TO too: keep them with the ledger.
            await to.save().catch(reportError('traffic-orch', 'could not save the built-in Traffic Orchestrator licenses'));
          }
        },
        graceEscalationEveryMs: options.graceEscalationIntervalSeconds * 1000,
        reconciliation,
        reconciliationEveryMs: options.reconciliationIntervalSeconds * 1000,
      }),
      (job, error) => reportError('scheduler', `job ${job.name} failed`)(error),
    );

    // From here on, shutdown runs in this order (HTTP was registered first and closes first).
    shutdown.push(
      { name: 'scheduler', run: () => scheduler.stop() },
      { name: 'processor', run: () => eventSource.stop() },
      { name: 'traffic orchestrator', run: () => to.stop() },
      { name: 'queues', run: () => queues.stop() },
      { name: 'clients', run: async () => sqs.destroy() },
      { name: 'dynamodb', run: () => dynamo.stop() },
      { name: 'data folder lock', run: () => lock.release() },
    );

    const ledger = new DynamoDbPurchaseLedger(createDocumentClient(dynamo.client), LOCAL_TABLES.ledger);
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    const scheduledJobs = scheduler.jobs.map((job) => ({ name: job.name, everySeconds: job.everyMs / 1000 }));
    const views: LocalViews = {
      status: async () => ({
        status: 'ok',
        webhookUrl: `${url}${WEBHOOK_PATH}`,
        dataDir: options.dataDir,
        outboxDir: options.outboxDir,
        queues: queues.depths(),
        trafficOrchestrator: { builtIn: to.builtIn, url: to.apiUrl },
        stripeApi: options.stripeApiUrl ? { enabled: true, url: options.stripeApiUrl } : { enabled: false },
        scheduledJobs,
      }),
      licenses: async (purchase) => ({ builtIn: to.builtIn, licenses: await to.list(purchase) }),
      // The ops tool's purchase report (never the key), flattened for the local view.
      purchase: async (purchaseId): Promise<PurchaseView | null> => {
        const report = await describePurchase(ledger, purchaseId);
        if (!report) return null;
        const { summary, ...rest } = report;
        return { ...summary, ...rest };
      },
      event: async (eventId) => {
        const failure = await ledger.getFailure(eventId);
        const failureView = failure && { reason: failure.reason, retryable: failure.retryable, message: failure.message, attempts: failure.attempts };
        if (queues.deadLetteredEventIds().has(eventId)) return { eventId, status: 'dead_lettered', failure: failureView };
        if (processed.has(eventId)) return { eventId, status: 'processed' };
        if (failure) return { eventId, status: 'retrying', failure: failureView };
        // Queued and not received yet, never sent, or processed before this start.
        return { eventId, status: 'unknown' };
      },
      runJob: async (name) => {
        const job = scheduler.jobs.find((candidate) => candidate.name === name);
        if (!job) return null;
        const result = await scheduler.runOnce(job);
        return result === undefined ? { job: name, ok: false, error: 'the run failed; the console has the error' } : { job: name, ok: true, result };
      },
      outbox: async (purchase) => (await readOutbox(options.outboxDir))
        .filter((email) => purchase === undefined || email.purchaseId === purchase)
        // Not the text: it carries the license key.
        .map(({ sentAt, to: recipient, subject, template, purchaseId, file }) => ({ sentAt, to: recipient, subject, template, purchaseId, file })),
    };

    eventSource.start();
    scheduler.start();
    http.setApp({ ingest, views, maxBodyBytes: ingestConfig.maxBodyBytes });

    let stopping: Promise<void> | undefined;
    return {
      port,
      url,
      webhookUrl: `${url}${WEBHOOK_PATH}`,
      webhookSecrets: secrets,
      generatedSecretFile: generatedFile,
      trafficOrchestrator: { builtIn: to.builtIn, url: to.apiUrl, ...(to.builtIn ? { apiKey: to.apiKey } : {}) },
      dataDir: options.dataDir,
      outboxDir: options.outboxDir,
      stripeApiUrl: options.stripeApiUrl,
      scheduledJobs,
      queue: {
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
        maxReceiveCount: options.maxReceiveCount,
        batchSize: options.batchSize,
        restored: queues.restored,
      },
      stop: () => (stopping ??= runShutdown()),
    };
  } catch (error) {
    await runShutdown();
    throw error;
  }
}

function listen(server: import('node:http').Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as import('node:net').AddressInfo).port);
    });
  });
}

/** Stops accepting connections and waits for requests in progress (their events get enqueued and saved). */
function closeServer(server: import('node:http').Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The configured secrets, or a development secret generated once and kept in the data folder. */
async function webhookSecrets(options: LocalPipelineOptions): Promise<{ secrets: string[]; generatedFile?: string }> {
  if (options.webhookSecrets && options.webhookSecrets.length > 0) return { secrets: options.webhookSecrets };
  const file = path.join(options.dataDir, SECRET_FILE);
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (saved.startsWith('whsec_')) return { secrets: [saved], generatedFile: file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = `whsec_dev_${randomBytes(24).toString('hex')}`;
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secrets: [secret], generatedFile: file };
}

/** Reads the secret a running pipeline generated (for the demo pointed at it). */
export async function readGeneratedWebhookSecret(dataDir: string): Promise<string | undefined> {
  try {
    const saved = (await readFile(path.join(dataDir, SECRET_FILE), 'utf8')).trim();
    return saved.startsWith('whsec_') ? saved : undefined;
  } catch {
    return undefined;
  }
}

function eventIdOf(record: SQSRecord): string | null {
  return queuedEventId(record.messageAttributes?.[EVENT_MESSAGE_ATTRIBUTES.eventId]?.stringValue, record.body);
}

function remember(set: Set<string>, value: string): void {
  set.add(value);
  if (set.size > REMEMBERED_EVENTS) set.delete(set.values().next().value as string);
}
