/**
 * The deployed ingest handler module against a real SQS API (fauxqs): signed API Gateway events in,
 * messages out, byte for byte, with their attributes; redrive to the DLQ after maxReceiveCount;
 * and a 5xx when SQS refuses the message. The handler is configured the way Lambda configures it,
 * through the environment (AWS_ENDPOINT_URL_SQS points the SDK at fauxqs).
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createSqsClient } from '../../lambdas/adapters/aws-clients';
import { EVENT_MESSAGE_ATTRIBUTES } from '../../lambdas/adapters/sqs-event-queue';
import { createIngestDeps, createIngestHandler, type IngestHandler } from '../../lambdas/ingest/handler';
import { readIngestConfig } from '../../lambdas/ingest/ingest-config';
import type { LogFields } from '../../lambdas/ingest/ingest-webhook';
import { buildStripeWebhookEvent } from '../support/api-gateway-events';
import { checkoutCompleted, signStripePayload, type StripeEventJson } from '../support/stripe-events';
import { createQueueWithDeadLetter } from '../../local/sqs-queues';

const SECRET = 'whsec_integration_0123456789abcdef';
const MAX_RECEIVE_COUNT = 2;
const endpoint = process.env.FAUXQS_ENDPOINT;
if (!endpoint) throw new Error('FAUXQS_ENDPOINT is not set: run through jest (test/support/global-setup.mjs)');

let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let handler: IngestHandler;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sqs = createSqsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const suffix = randomUUID().slice(0, 8);
  const { queue, deadLetter } = await createQueueWithDeadLetter(sqs, {
    name: `ingest-sqs-${suffix}`,
    deadLetterName: `ingest-sqs-dlq-${suffix}`,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });
  queueUrl = queue.url;
  dlqUrl = deadLetter.url;

  Object.assign(process.env, {
    STAGE: 'test',
    QUEUE_URL: queueUrl,
    STRIPE_WEBHOOK_SECRET: SECRET,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Output of the deployed Logger/Metrics is asserted in the unit tests; keep this run quiet.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  delete process.env.STRIPE_SIGNING_SECRET_ID;
  jest.isolateModules(() => {
    ({ handler } = require('../../lambdas/ingest/handler') as typeof import('../../lambdas/ingest/handler'));
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
  sqs.destroy();
});

/** A realistic checkout event as Stripe sends it: pretty-printed, signed now. */
function signedDelivery(options: { base64?: boolean } = {}) {
  const event: StripeEventJson = checkoutCompleted('2026-07-29.dahlia', {
    created: Math.floor(Date.now() / 1000) - 2,
    mode: 'subscription',
    customerId: 'cus_integration1',
    email: 'buyer@example.com',
    metadata: { to_product_id: 'prod_to_1', to_license_tier: 'pro' },
  });
  const payload = JSON.stringify(event, null, 2);
  return { event, payload, apiEvent: buildStripeWebhookEvent({ payload, signature: signStripePayload(payload, SECRET), base64: options.base64 }) };
}

async function receiveOne(url: string): Promise<Message | undefined> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
  );
  expect((Messages ?? []).length).toBeLessThanOrEqual(1);
  return Messages?.[0];
}

function expectAttributes(message: Message, event: StripeEventJson): void {
  expect(message.MessageAttributes).toEqual({
    [EVENT_MESSAGE_ATTRIBUTES.eventId]: { DataType: 'String', StringValue: event.id },
    [EVENT_MESSAGE_ATTRIBUTES.eventType]: { DataType: 'String', StringValue: 'checkout.session.completed' },
    [EVENT_MESSAGE_ATTRIBUTES.eventCreated]: { DataType: 'Number', StringValue: String(event.created) },
  });
}

it('enqueues the body byte-identical to what Stripe signed, with the event attributes', async () => {
  const { event, payload, apiEvent } = signedDelivery();

  const result = await handler(apiEvent);

  expect(result).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"received":true}' });
  const message = await receiveOne(queueUrl);
  expect(message?.Body).toBe(payload);
  expectAttributes(message!, event);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle! }));
});

it('enqueues the decoded body of a base64-encoded delivery', async () => {
  const { payload, apiEvent } = signedDelivery({ base64: true });
  await expect(handler(apiEvent)).resolves.toMatchObject({ statusCode: 200 });
  const message = await receiveOne(queueUrl);
  expect(message?.Body).toBe(payload);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle! }));
});

it('leaves the queue empty for an event type it ignores and for a rejected delivery', async () => {
  const ignored = JSON.stringify({ ...signedDelivery().event, type: 'customer.created' }, null, 2);
  await expect(handler(buildStripeWebhookEvent({ payload: ignored, signature: signStripePayload(ignored, SECRET) }))).resolves.toMatchObject({
    statusCode: 200,
    body: '{"received":true,"ignored":true}',
  });
  const { payload } = signedDelivery();
  await expect(handler(buildStripeWebhookEvent({ payload, signature: signStripePayload(payload, 'whsec_wrong_secret_000') }))).resolves.toMatchObject({
    statusCode: 400,
  });
  expect(await receiveOne(queueUrl)).toBeUndefined();
});

it('moves a message that was received maxReceiveCount times without being deleted to the DLQ, attributes intact', async () => {
  const { event, payload, apiEvent } = signedDelivery();
  await expect(handler(apiEvent)).resolves.toMatchObject({ statusCode: 200 });

  for (let receive = 1; receive <= MAX_RECEIVE_COUNT; receive += 1) {
    const message = await receiveOne(queueUrl);
    expect(message?.Body).toBe(payload);
    // A failed processing attempt: not deleted, made visible again at once.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle!, VisibilityTimeout: 0 }));
  }

  // The next receive finds the receive count exhausted: SQS moves the message instead of delivering it.
  expect(await receiveOne(queueUrl)).toBeUndefined();
  const deadLetter = await receiveOne(dlqUrl);
  expect(deadLetter?.Body).toBe(payload);
  expectAttributes(deadLetter!, event);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: deadLetter!.ReceiptHandle! }));
});

it('answers 500 without SQS details when the queue does not exist (Stripe retries)', async () => {
  const goneUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `ingest-sqs-deleted-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
  await sqs.send(new DeleteQueueCommand({ QueueUrl: goneUrl }));
  // Same wiring as the deployed handler, with a logger that records what on-call would read.
  const errors: LogFields[] = [];
  const ignore = () => undefined;
  const deps = createIngestDeps(readIngestConfig({ ...process.env, QUEUE_URL: goneUrl }), {
    sqsClient: sqs,
    logger: { info: ignore, warn: ignore, error: (_message, fields) => void errors.push(fields) },
  });

  const result = await createIngestHandler(deps)(signedDelivery().apiEvent);

  expect(result).toEqual({
    statusCode: 500,
    headers: { 'Content-Type': 'application/json' },
    body: '{"error":"temporarily unavailable"}',
  });
  expect(errors).toHaveLength(1);
  expect(errors[0]!.errorName).toMatch(/QueueDoesNotExist|NonExistentQueue/);
});
