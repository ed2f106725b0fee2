/**
 * The Lambda mapping: API Gateway REST v1 event in, proxy result out, Powertools metrics flushed
 * once per invocation. The use case's answers are covered in ingest-webhook.test.ts; SQS in
 * test/integration/ingest-sqs.test.ts.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { StaticSigningSecretSource } from '../../lambdas/adapters/signing-secret-sources';
import { createIngestHandler, type IngestHandlerDeps } from '../../lambdas/ingest/handler';
import type { LogFields } from '../../lambdas/ingest/ingest-webhook';
import type { QueuedStripeEvent } from '../../lambdas/ports/event-queue';
import { buildApiGatewayEvent, buildStripeWebhookEvent } from '../support/api-gateway-events';
import { signStripePayload } from '../support/stripe-events';

const SECRET = 'whsec_handler_0123456789abcdef';

function signedEvent(type = 'invoice.paid') {
  const payload = JSON.stringify(
    { id: 'evt_handler1', object: 'event', created: 1_767_000_000, livemode: false, type, data: { object: { id: 'in_1', object: 'invoice' } } },
    null,
    2,
  );
  return { payload, signature: signStripePayload(payload, SECRET) };
}

function recordingDeps(overrides: Partial<IngestHandlerDeps> = {}) {
  const sent: QueuedStripeEvent[] = [];
  const logs: Array<{ message: string; fields: LogFields }> = [];
  const metricNames: string[] = [];
  const calls = { flushes: 0, contexts: [] as Context[] };
  const record = (message: string, fields: LogFields) => logs.push({ message, fields });
  const deps: IngestHandlerDeps = {
    secrets: new StaticSigningSecretSource([SECRET]),
    queue: { enqueue: async (e) => void sent.push(e) },
    expectedLivemode: false,
    maxBodyBytes: 262_144,
    logger: { info: record, warn: record, error: record, addContext: (c) => void calls.contexts.push(c) },
    metrics: {
      addMetric: (name) => void metricNames.push(name),
      publishStoredMetrics: () => {
        calls.flushes += 1;
        metricNames.push('|flush|');
      },
    },
    ...overrides,
  };
  return { deps, sent, logs, metricNames, calls };
}

const lambdaContext = { functionName: 'ingest', awsRequestId: 'lambda-req-1' } as Context;

describe('createIngestHandler', () => {
  it('maps a signed API Gateway event to the use case and answers JSON', async () => {
    const { deps, sent } = recordingDeps();
    const { payload, signature } = signedEvent();

    const result = await createIngestHandler(deps)(buildStripeWebhookEvent({ payload, signature }), lambdaContext);

    expect(result).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"received":true}' });
    expect(sent).toEqual([{ eventId: 'evt_handler1', eventType: 'invoice.paid', created: 1_767_000_000, body: payload }]);
  });

  it('passes a base64-encoded body through for decoding', async () => {
    const { deps, sent } = recordingDeps();
    const { payload, signature } = signedEvent();
    const result = await createIngestHandler(deps)(buildStripeWebhookEvent({ payload, signature, base64: true }));
    expect(result.statusCode).toBe(200);
    expect(sent[0]?.body).toBe(payload);
  });

  it('logs the caller IP and API Gateway request id, and adds the Lambda context to the logger', async () => {
    const { deps, logs, calls } = recordingDeps();
    const { payload } = signedEvent();
    const event = buildStripeWebhookEvent({ payload, signature: 't=1,v1=deadbeef', sourceIp: '198.51.100.23' });

    await createIngestHandler(deps)(event, lambdaContext);

    expect(logs.find((l) => l.message === 'webhook rejected')?.fields).toMatchObject({
      sourceIp: '198.51.100.23',
      requestId: event.requestContext.requestId,
    });
    expect(calls.contexts).toEqual([lambdaContext]);
  });

  it('keeps the use case headers next to Content-Type (405 Allow)', async () => {
    const { deps } = recordingDeps();
    const result = await createIngestHandler(deps)(buildApiGatewayEvent({ method: 'GET' }));
    expect(result).toEqual({
      statusCode: 405,
      headers: { 'Content-Type': 'application/json', Allow: 'POST' },
      body: '{"error":"method not allowed"}',
    });
  });

  it('flushes metrics once per invocation, after the metrics of that invocation, whatever the answer', async () => {
    const { deps, metricNames, calls } = recordingDeps();
    const handle = createIngestHandler(deps);
    const { payload, signature } = signedEvent();

    await handle(buildStripeWebhookEvent({ payload, signature }));
    await handle(buildStripeWebhookEvent({ payload }));

    expect(calls.flushes).toBe(2);
    expect(metricNames).toEqual(['WebhookReceived', 'WebhookAccepted', '|flush|', 'WebhookReceived', 'WebhookRejected', '|flush|']);
  });
});

describe('createIngestHandler with Powertools Metrics', () => {
  let stdout: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    stdout = [];
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  it('emits one EMF document per invocation in the StripeLicensing namespace', async () => {
    const metrics = new Metrics({ namespace: 'StripeLicensing', serviceName: 'stripe-webhook-ingest' });
    const { deps } = recordingDeps({ metrics });
    const { payload, signature } = signedEvent('customer.created');

    await createIngestHandler(deps)(buildStripeWebhookEvent({ payload, signature }));

    const emf = stdout.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } });
    expect(emf).toHaveLength(1);
    const [doc] = emf;
    expect(doc!._aws.CloudWatchMetrics[0]!.Namespace).toBe('StripeLicensing');
    expect(doc!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(['WebhookAccepted', 'WebhookIgnored', 'WebhookReceived']);
    expect(doc).toMatchObject({ service: 'stripe-webhook-ingest', WebhookReceived: 1, WebhookAccepted: 1, WebhookIgnored: 1 });
  });
});

describe('handler (deployed entry point)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fails the invocation with an error naming a missing variable', async () => {
    process.env = { ...saved, STAGE: 'test', STRIPE_WEBHOOK_SECRET: SECRET };
    delete process.env.QUEUE_URL;
    let entry: typeof import('../../lambdas/ingest/handler') | undefined;
    jest.isolateModules(() => {
      entry = require('../../lambdas/ingest/handler') as typeof import('../../lambdas/ingest/handler');
    });
    await expect(entry!.handler(buildApiGatewayEvent())).rejects.toThrow('QUEUE_URL');
  });
});
