/**
 * The ingest use case with real Stripe signatures (the stripe library signs, the stripe library
 * verifies) and a recording queue standing in for the EventQueue port; SQS itself is exercised in
 * test/integration/ingest-sqs.test.ts. The clock is fixed, so "stale" is exact, not a race.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ingestWebhook,
  type IngestDeps,
  type IngestLogger,
  type IngestMetricName,
  type IngestMetrics,
  type LogFields,
  type WebhookRequest,
} from '../../lambdas/ingest/ingest-webhook';
import type { EventQueue, QueuedStripeEvent } from '../../lambdas/ports/event-queue';
import { StaticSigningSecretSource } from '../../lambdas/adapters/signing-secret-sources';
import { signStripePayload } from '../support/stripe-events';

const SECRET = 'whsec_current_0123456789abcdef';
const OLD_SECRET = 'whsec_previous_0123456789abcdef';
const OTHER_SECRET = 'whsec_someone_else_0123456789ab';
const NOW_S = 1_767_225_600; // fixed "now" for every signature check
const SOURCE_IP = '203.0.113.7';
// A value only the body carries: it must never show up in a log line.
const BODY_MARKER = 'body-only-marker@example.com';

function sign(payload: string, secret = SECRET, timestamp = NOW_S): string {
  return signStripePayload(payload, secret, timestamp);
}

function stripeEvent(overrides: { id?: string; type?: string; livemode?: boolean; created?: number } = {}): string {
  const event = {
    id: overrides.id ?? 'evt_1QxTestIngest',
    object: 'event',
    api_version: '2025-02-24.acacia',
    created: overrides.created ?? NOW_S - 5,
    data: {
      object: { id: 'cs_test_a1', object: 'checkout.session', mode: 'subscription', customer_details: { email: BODY_MARKER } },
    },
    livemode: overrides.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: overrides.type ?? 'checkout.session.completed',
  };
  // Stripe sends pretty-printed JSON; the signature covers these exact bytes, whitespace included.
  return JSON.stringify(event, null, 2);
}

function post(payload: string, headers: Record<string, string> = { 'Stripe-Signature': sign(payload) }): WebhookRequest {
  return { method: 'POST', headers, body: payload, isBase64Encoded: false, sourceIp: SOURCE_IP, requestId: 'req-1' };
}

class RecordingQueue implements EventQueue {
  readonly sent: QueuedStripeEvent[] = [];
  failure: Error | undefined;

  async enqueue(event: QueuedStripeEvent): Promise<void> {
    if (this.failure) throw this.failure;
    this.sent.push(event);
  }
}

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

class RecordingLogger implements IngestLogger {
  readonly lines: LogLine[] = [];
  info(message: string, fields: LogFields): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

class RecordingMetrics implements IngestMetrics {
  readonly counts = new Map<IngestMetricName, number>();
  addMetric(name: IngestMetricName, _unit: 'Count', value: number): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

function setup(overrides: Partial<IngestDeps> = {}) {
  const queue = new RecordingQueue();
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const deps: IngestDeps = {
    secrets: new StaticSigningSecretSource([SECRET]),
    queue,
    expectedLivemode: false,
    maxBodyBytes: 262_144,
    logger,
    metrics,
    clock: { nowMs: () => NOW_S * 1000 },
    ...overrides,
  };
  return { deps, queue, logger, metrics, run: (request: WebhookRequest) => ingestWebhook(request, deps) };
}

function rejection(logger: RecordingLogger): LogLine {
  const lines = logger.lines.filter((l) => l.message === 'webhook rejected');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const INVALID_SIGNATURE = { statusCode: 400, body: '{"error":"invalid signature"}' };
const REJECTED_SIGNATURE_METRICS = { WebhookReceived: 1, WebhookRejected: 1, SignatureVerificationFailed: 1 };

describe('ingestWebhook: accepted deliveries', () => {
  it('enqueues a handled event with its exact body and envelope, and answers 200 {"received":true}', async () => {
    const { run, queue, metrics } = setup();
    const payload = stripeEvent({ created: 1_767_225_000 });

    await expect(run(post(payload))).resolves.toEqual({ statusCode: 200, body: '{"received":true}' });

    expect(queue.sent).toEqual([
      { eventId: 'evt_1QxTestIngest', eventType: 'checkout.session.completed', created: 1_767_225_000, body: payload },
    ]);
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookAccepted: 1 });
  });

  it('finds the Stripe-Signature header whatever its case', async () => {
    const { run, queue } = setup();
    const payload = stripeEvent();
    await expect(run(post(payload, { 'stripe-signature': sign(payload) }))).resolves.toMatchObject({ statusCode: 200 });
    expect(queue.sent).toHaveLength(1);
  });

  it('decodes a base64 body and verifies and enqueues the decoded bytes', async () => {
    const { run, queue } = setup();
    const payload = stripeEvent();
    const request: WebhookRequest = {
      ...post(payload),
      body: Buffer.from(payload, 'utf8').toString('base64'),
      isBase64Encoded: true,
    };
    await expect(run(request)).resolves.toEqual({ statusCode: 200, body: '{"received":true}' });
    expect(queue.sent.map((e) => e.body)).toEqual([payload]);
  });

  it('answers 200 ignored for an event type it does not handle, without enqueueing it', async () => {
    const { run, queue, metrics } = setup();
    const payload = stripeEvent({ type: 'customer.created' });
    await expect(run(post(payload))).resolves.toEqual({ statusCode: 200, body: '{"received":true,"ignored":true}' });
    expect(queue.sent).toEqual([]);
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookAccepted: 1, WebhookIgnored: 1 });
  });

  it('accepts a signature exactly at the 300 s tolerance', async () => {
    const { run, queue } = setup();
    const payload = stripeEvent();
    await expect(run(post(payload, { 'Stripe-Signature': sign(payload, SECRET, NOW_S - 300) }))).resolves.toMatchObject({
      statusCode: 200,
    });
    expect(queue.sent).toHaveLength(1);
  });
});

describe('ingestWebhook: signing secret rotation', () => {
  it('verifies with the second secret of the list and logs which one matched', async () => {
    const { run, queue, logger } = setup({ secrets: new StaticSigningSecretSource([OLD_SECRET, SECRET]) });
    const payload = stripeEvent();
    await expect(run(post(payload, { 'Stripe-Signature': sign(payload, SECRET) }))).resolves.toMatchObject({ statusCode: 200 });
    expect(queue.sent).toHaveLength(1);
    expect(logger.lines.find((l) => l.message === 'webhook accepted')?.fields.signingSecretPosition).toBe(1);
  });

  it('still verifies with the first (old) secret while both are configured', async () => {
    const { run, queue } = setup({ secrets: new StaticSigningSecretSource([OLD_SECRET, SECRET]) });
    const payload = stripeEvent();
    await expect(run(post(payload, { 'Stripe-Signature': sign(payload, OLD_SECRET) }))).resolves.toMatchObject({ statusCode: 200 });
    expect(queue.sent).toHaveLength(1);
  });

  it('accepts a header carrying two v1 signatures when one of them is ours (Stripe signs with both secrets while rolling)', async () => {
    const { run, queue } = setup();
    const payload = stripeEvent();
    const ours = sign(payload, SECRET).split(',')[1]!;
    const theirs = sign(payload, OTHER_SECRET);
    await expect(run(post(payload, { 'Stripe-Signature': `${theirs},${ours}` }))).resolves.toMatchObject({ statusCode: 200 });
    expect(queue.sent).toHaveLength(1);
  });
});

describe('ingestWebhook: rejected deliveries', () => {
  it('answers 405 with Allow: POST to any other method', async () => {
    const { run, queue, logger, metrics } = setup();
    const payload = stripeEvent();
    await expect(run({ ...post(payload), method: 'GET' })).resolves.toEqual({
      statusCode: 405,
      body: '{"error":"method not allowed"}',
      headers: { Allow: 'POST' },
    });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('method_not_allowed');
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookRejected: 1 });
  });

  it('answers 413 when the body is over the limit', async () => {
    const { run, queue, logger } = setup({ maxBodyBytes: 1024 });
    const payload = stripeEvent().replace(/\n}$/, `${' '.repeat(1025)}\n}`);
    await expect(run(post(payload))).resolves.toEqual({ statusCode: 413, body: '{"error":"payload too large"}' });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields).toMatchObject({ reason: 'body_too_large', maxBodyBytes: 1024 });
  });

  it('measures the limit in bytes, not characters', async () => {
    const payload = stripeEvent().replace(/\n}$/, `${' '.repeat(40)}\n}`).replace(BODY_MARKER, `é${BODY_MARKER}`);
    const bytes = Buffer.byteLength(payload, 'utf8');
    expect(bytes).toBe(payload.length + 1);

    const atLimit = setup({ maxBodyBytes: bytes });
    await expect(atLimit.run(post(payload))).resolves.toMatchObject({ statusCode: 200 });
    const oneByteShort = setup({ maxBodyBytes: payload.length });
    await expect(oneByteShort.run(post(payload))).resolves.toMatchObject({ statusCode: 413 });
  });

  it('applies the limit to the decoded bytes of a base64 body', async () => {
    const payload = stripeEvent();
    const bytes = Buffer.byteLength(payload, 'utf8');
    const base64 = Buffer.from(payload, 'utf8').toString('base64');
    const { run } = setup({ maxBodyBytes: bytes });
    await expect(run({ ...post(payload), body: base64, isBase64Encoded: true })).resolves.toMatchObject({ statusCode: 200 });
    expect(base64.length).toBeGreaterThan(bytes);
  });

  it('answers 400 when the Stripe-Signature header is missing', async () => {
    const { run, queue, logger, metrics } = setup();
    await expect(run(post(stripeEvent(), {}))).resolves.toEqual({ statusCode: 400, body: '{"error":"missing signature"}' });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('missing_signature');
    // Not a verification failure: nothing was verified (keeps the signature alarm for real mismatches).
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookRejected: 1 });
  });

  it('answers 400 when the body was changed after signing', async () => {
    const { run, queue, logger, metrics } = setup();
    const payload = stripeEvent();
    const tampered = payload.replace('"livemode": false', '"livemode": false ');
    await expect(run(post(tampered, { 'Stripe-Signature': sign(payload) }))).resolves.toEqual(INVALID_SIGNATURE);
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('signature_mismatch');
    expect(metrics.snapshot()).toEqual(REJECTED_SIGNATURE_METRICS);
  });

  it('answers 400 when the request was signed with a secret we do not hold', async () => {
    const { run, queue, logger, metrics } = setup({ secrets: new StaticSigningSecretSource([OLD_SECRET, SECRET]) });
    const payload = stripeEvent();
    await expect(run(post(payload, { 'Stripe-Signature': sign(payload, OTHER_SECRET) }))).resolves.toEqual(INVALID_SIGNATURE);
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('signature_mismatch');
    expect(metrics.snapshot()).toEqual(REJECTED_SIGNATURE_METRICS);
  });

  it('answers 400 when the signature timestamp is 301 s old, with its own log reason', async () => {
    const { run, queue, logger, metrics } = setup();
    const payload = stripeEvent();
    await expect(run(post(payload, { 'Stripe-Signature': sign(payload, SECRET, NOW_S - 301) }))).resolves.toEqual(INVALID_SIGNATURE);
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('timestamp_outside_tolerance');
    expect(metrics.snapshot()).toEqual(REJECTED_SIGNATURE_METRICS);
  });

  it('answers 400 to a header without a timestamp or v1 signature', async () => {
    const { run, logger } = setup();
    await expect(run(post(stripeEvent(), { 'Stripe-Signature': 'not-a-stripe-signature' }))).resolves.toEqual(INVALID_SIGNATURE);
    expect(rejection(logger).fields.reason).toBe('malformed_signature_header');
  });

  it('answers 400 malformed event to a correctly signed body that is not JSON', async () => {
    const { run, queue, logger, metrics } = setup();
    const payload = '{"id": "evt_1", "type": "checkout.session.completed", ';
    await expect(run(post(payload))).resolves.toEqual({ statusCode: 400, body: '{"error":"malformed event"}' });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields.reason).toBe('malformed_event');
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookRejected: 1 });
  });

  it('answers 400 malformed event to correctly signed JSON that is not a Stripe event', async () => {
    const { run, queue } = setup();
    await expect(run(post('{"hello":"world"}'))).resolves.toEqual({ statusCode: 400, body: '{"error":"malformed event"}' });
    expect(queue.sent).toEqual([]);
  });

  it('answers 400 to a live-mode event on the test stage', async () => {
    const { run, queue, logger } = setup({ expectedLivemode: false });
    const payload = stripeEvent({ livemode: true });
    await expect(run(post(payload))).resolves.toEqual({ statusCode: 400, body: '{"error":"livemode mismatch"}' });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields).toMatchObject({ reason: 'livemode_mismatch', eventId: 'evt_1QxTestIngest', livemode: true });
  });

  it('answers 400 to a test-mode event on the live stage', async () => {
    const { run, queue, logger } = setup({ expectedLivemode: true });
    const payload = stripeEvent({ livemode: false });
    await expect(run(post(payload))).resolves.toEqual({ statusCode: 400, body: '{"error":"livemode mismatch"}' });
    expect(queue.sent).toEqual([]);
    expect(rejection(logger).fields).toMatchObject({ reason: 'livemode_mismatch', expectedLivemode: true });
  });
});

describe('ingestWebhook: failures Stripe should retry', () => {
  it('answers 500 without internals when the queue refuses the event', async () => {
    const { run, queue, logger, metrics } = setup();
    const sqsText = 'AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist for this wsdl version.';
    queue.failure = Object.assign(new Error(sqsText), { name: 'QueueDoesNotExist' });

    const response = await run(post(stripeEvent()));

    expect(response).toEqual({ statusCode: 500, body: '{"error":"temporarily unavailable"}' });
    expect(metrics.snapshot()).toEqual({ WebhookReceived: 1, WebhookEnqueueFailed: 1 });
    // The operator gets the detail; Stripe does not.
    const logged = logger.lines.find((l) => l.level === 'error');
    expect(logged?.fields).toMatchObject({ eventId: 'evt_1QxTestIngest', errorName: 'QueueDoesNotExist', errorMessage: sqsText });
  });

  it('answers 500 when the signing secrets cannot be read', async () => {
    const { run, queue } = setup({
      secrets: {
        getSigningSecrets: async () => {
          throw new Error('Secrets Manager unreachable');
        },
      },
    });
    await expect(run(post(stripeEvent()))).resolves.toEqual({ statusCode: 500, body: '{"error":"temporarily unavailable"}' });
    expect(queue.sent).toEqual([]);
  });
});

describe('ingestWebhook: what a signature failure logs (real Powertools Logger)', () => {
  let output: string[];
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    output = [];
    const capture = (chunk: unknown): boolean => {
      output.push(String(chunk));
      return true;
    };
    spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  });
  afterEach(() => spies.forEach((s) => s.mockRestore()));

  it('logs the reason, the source IP and the claimed event type, and neither the body nor the secret', async () => {
    const logger = new Logger({ serviceName: 'ingest-test' });
    const { run } = setup({ logger });
    const payload = stripeEvent({ type: 'invoice.paid' });

    await run(post(payload, { 'Stripe-Signature': sign(payload, OTHER_SECRET) }));

    const lines = output.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = lines.find((l) => l.message === 'webhook rejected');
    expect(rejected).toMatchObject({
      level: 'WARN',
      reason: 'signature_mismatch',
      sourceIp: SOURCE_IP,
      claimedEventType: 'invoice.paid',
      claimedEventId: 'evt_1QxTestIngest',
    });
    const everything = output.join('');
    expect(everything).not.toContain(BODY_MARKER);
    expect(everything).not.toContain('cs_test_a1');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(OTHER_SECRET);
  });
});
