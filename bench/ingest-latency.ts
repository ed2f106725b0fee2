/**
 * How fast Stripe gets its answer: the deployed ingest handler (createIngestHandler with the real
 * adapters: SqsEventQueue, Powertools Logger and Metrics) called one request at a time, as one
 * Lambda instance is, with real Stripe signatures over realistic dahlia checkout.session.completed
 * payloads, enqueuing to fauxqs (the SQS emulator) started in this process.
 *
 * Then the same payloads through each step alone (signature check, envelope parse, SQS send), so
 * the total can be read as the sum of its parts.
 *
 * Run: node --enable-source-maps -r ./local/register-ts.js bench/ingest-latency.ts [--requests 2000] [--warmup 200]
 * Prints figures; it asserts nothing about time (that would flake on a busy machine). Exits 1 only
 * if a request was not answered 200 or the queue did not hold every accepted event.
 */
import '../local/process-defaults';
import { CreateQueueCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createSqsClient } from '../lambdas/adapters/aws-clients';
import { SqsEventQueue } from '../lambdas/adapters/sqs-event-queue';
import { ENV } from '../lambdas/config/env';
import { createIngestDeps, createIngestHandler } from '../lambdas/ingest/handler';
import { readIngestConfig } from '../lambdas/ingest/ingest-config';
import { verifyStripeSignature } from '../lambdas/ingest/verify-webhook';
import { METRICS_NAMESPACE, SERVICES } from '../lambdas/observability/metric-names';
import { parseEventEnvelope } from '../lambdas/stripe/parse-event';
import { createLocalContext } from '../local/lambda-context';
import { buildStripeWebhookEvent } from '../test/support/api-gateway-events';
import { checkoutCompleted, signStripePayload, toPayload } from '../test/support/stripe-events';
import {
  formatMemory, intArg, machineLine, memorySnapshot, ms, runAsScript, summarize, summaryHeader, summaryRow, withStdoutCounted,
  type LatencySummary, type MemorySnapshot,
} from './measure';

type Fauxqs = typeof import('fauxqs', { with: { 'resolution-mode': 'import' } });

export interface IngestBenchmarkOptions {
  requests: number;
  warmup: number;
  /** Printed as the run goes; the caller decides where lines go. */
  print: (line?: string) => void;
}

export interface IngestBenchmarkResult {
  handler: LatencySummary;
  throughputPerSecond: number;
  parts: Array<{ label: string; summary: LatencySummary }>;
  memoryBefore: MemorySnapshot;
  memoryAfter: MemorySnapshot;
  payloadBytes: number;
  /** Answers other than 200, by status; empty when all were accepted. */
  unexpectedStatuses: Record<string, number>;
  queuedAfterRun: number;
  ok: boolean;
}

const SIGNING_SECRET = 'whsec_bench_ingest_0123456789abcdef0123456789abcdef';
/** A rolled secret: verification tries it first and fails, as during a secret rotation. */
const PREVIOUS_SECRET = 'whsec_bench_ingest_previous_0123456789abcdef012345';

interface Delivery {
  payload: string;
  signature: string;
  request: APIGatewayProxyEvent;
}

/** A checkout the way a customer's purchase produces it: dahlia shape, product metadata, signed now. */
function buildDeliveries(count: number, runId: string): Delivery[] {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const deliveries: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const n = `${runId}${String(i).padStart(6, '0')}`;
    const event = checkoutCompleted('2026-07-29.dahlia', {
      eventId: `evt_bench${n}`,
      created: nowSeconds,
      sessionId: `cs_bench${n}`,
      mode: 'subscription',
      subscriptionId: `sub_bench${n}`,
      customerId: `cus_bench${n}`,
      email: `buyer.${n}@example.com`,
      name: 'Grace Hopper',
      amountTotal: 4900,
      metadata: { to_product_id: 'to_prod_example', to_license_tier: 'professional' },
    });
    // Stripe sends its JSON pretty-printed; the signature is over exactly these bytes.
    const payload = JSON.stringify(JSON.parse(toPayload(event)), null, 2);
    const signature = signStripePayload(payload, SIGNING_SECRET);
    deliveries.push({ payload, signature, request: buildStripeWebhookEvent({ payload, signature }) });
  }
  return deliveries;
}

/** Times `step` once per item, one after another; returns the samples (ms) and the wall time. */
async function timeEach<T>(items: readonly T[], step: (item: T) => unknown): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = new Array(items.length);
  const started = performance.now();
  for (let i = 0; i < items.length; i++) {
    const t0 = performance.now();
    await step(items[i]);
    samples[i] = performance.now() - t0;
  }
  return { samples, wallMs: performance.now() - started };
}

export async function runIngestBenchmark(options: IngestBenchmarkOptions): Promise<IngestBenchmarkResult> {
  const { print } = options;
  const { startFauxqs } = (await import('fauxqs')) as Fauxqs;
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const sqs = createSqsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const queueName = 'bench-ingest';
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const queueUrl = QueueUrl as string;

    const config = readIngestConfig({
      [ENV.stage]: 'test',
      [ENV.queueUrl]: queueUrl,
      [ENV.signingSecrets]: SIGNING_SECRET,
    });
    // The deployed adapters: Powertools Logger (INFO, one JSON line per request) and Metrics (one EMF blob).
    const handler = createIngestHandler(createIngestDeps(config, {
      sqsClient: sqs,
      logger: new Logger({ serviceName: SERVICES.ingest, logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.ingest }),
    }));

    const runId = Date.now().toString(36);
    const warmup = buildDeliveries(options.warmup, `${runId}w`);
    const measured = buildDeliveries(options.requests, `${runId}m`);
    const payloadBytes = Buffer.byteLength(measured[0]?.payload ?? '');
    print(`  payload: dahlia checkout.session.completed, ${payloadBytes} bytes, signed with stripe.webhooks.generateTestHeaderString`);

    const statuses: Record<string, number> = {};
    const invoke = async (delivery: Delivery): Promise<void> => {
      const response = await handler(delivery.request, createLocalContext(SERVICES.ingest, 10_000));
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    };

    print(`  warm-up: ${options.warmup} requests (not measured)`);
    await withStdoutCounted(() => timeEach(warmup, invoke));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    for (const key of Object.keys(statuses)) delete statuses[key];

    const memoryBefore = memorySnapshot();
    const { result: run, bytes: logBytes, lines: logLines } = await withStdoutCounted(() => timeEach(measured, invoke));
    const memoryAfter = memorySnapshot();
    const handlerSummary = summarize(run.samples);
    const throughputPerSecond = (measured.length / run.wallMs) * 1000;
    const queuedAfterRun = server.inspectQueue(queueName)?.messages.ready.length ?? 0;
    print(`  measured: ${options.requests} requests, one at a time, in ${(run.wallMs / 1000).toFixed(2)} s; `
      + `the handlers wrote ${logLines} log/EMF lines (${(logBytes / 1024).toFixed(0)} KiB, counted and discarded)`);

    // The same work, one step at a time.
    const verifyOne = await timeEach(measured, (d) => assertValid(verifyStripeSignature({ payload: d.payload, signatureHeader: d.signature, secrets: [SIGNING_SECRET] })));
    const verifyRotation = await timeEach(measured, (d) => assertValid(verifyStripeSignature({ payload: d.payload, signatureHeader: d.signature, secrets: [PREVIOUS_SECRET, SIGNING_SECRET] })));
    const parse = await timeEach(measured, (d) => parseEventEnvelope(d.payload));
    const queue = new SqsEventQueue(sqs, queueUrl);
    const enqueue = await timeEach(measured, (d) => queue.enqueue({ eventId: 'evt_benchenqueue', eventType: 'checkout.session.completed', created: 0, body: d.payload }));

    const parts = [
      { label: 'signature check (1 secret)', summary: summarize(verifyOne.samples) },
      { label: 'signature check (2, rotation)', summary: summarize(verifyRotation.samples) },
      { label: 'envelope parse (JSON + fields)', summary: summarize(parse.samples) },
      { label: 'SQS SendMessage (fauxqs)', summary: summarize(enqueue.samples) },
    ];

    const unexpectedStatuses = Object.fromEntries(Object.entries(statuses).filter(([status]) => status !== '200'));
    const ok = Object.keys(unexpectedStatuses).length === 0 && queuedAfterRun === measured.length;
    return { handler: handlerSummary, throughputPerSecond, parts, memoryBefore, memoryAfter, payloadBytes, unexpectedStatuses, queuedAfterRun, ok };
  } finally {
    sqs.destroy();
    await server.stop();
  }
}

function assertValid(check: ReturnType<typeof verifyStripeSignature>): void {
  if (!check.valid) throw new Error(`benchmark payload failed verification: ${check.reason}`);
}

export function printIngestResult(result: IngestBenchmarkResult, print: (line?: string) => void): void {
  print();
  print(summaryHeader());
  print(summaryRow('ingest handler, whole request', result.handler));
  for (const part of result.parts) print(summaryRow(`  ${part.label}`, part.summary));
  print();
  print(`  throughput: ${result.throughputPerSecond.toFixed(0)} requests/s on one event loop (one Lambda instance serves one request at a time)`);
  print(`  memory before the measured run: ${formatMemory(result.memoryBefore)}`);
  print(`  memory after:                   ${formatMemory(result.memoryAfter)}`);
  print(`  (fauxqs runs in this process: the after figure includes the ${result.queuedAfterRun} queued messages of ~${(result.payloadBytes / 1024).toFixed(1)} KiB each)`);
  const verify = result.parts[0]?.summary.p50 ?? Number.NaN;
  const send = result.parts[3]?.summary.p50 ?? Number.NaN;
  print(`  at p50, ${ms(verify)} ms of ${ms(result.handler.p50)} ms is the signature check and ${ms(send)} ms the SQS send;`
    + ' the rest is parsing, logging and the EMF blob');
  if (!result.ok) {
    print(`  PROBLEM: unexpected answers ${JSON.stringify(result.unexpectedStatuses)}, queue holds ${result.queuedAfterRun} messages`);
  }
}

export async function main(argv: readonly string[], print: (line?: string) => void = (line = '') => process.stdout.write(`${line}\n`)): Promise<boolean> {
  const requests = intArg(argv, 'requests', 2000);
  const warmup = intArg(argv, 'warmup', 200, { allowZero: true });
  print(`Ingest latency · ${machineLine()}`);
  const result = await runIngestBenchmark({ requests, warmup, print });
  printIngestResult(result, print);
  return result.ok;
}

if (require.main === module) runAsScript(() => main(process.argv.slice(2)), 5 * 60_000, 'The ingest benchmark');
