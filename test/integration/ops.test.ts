/**
 * The on-call tool (ops/): the DLQ as on-call reads it, per-event redrive, and the purchase and
 * event views, over real protocols. First through the use cases with the processor putting real
 * failures into the DLQ (fauxqs + dynalite + fake TO), then the command line itself as a child
 * process against a stage's named resources on the emulators.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../lambdas/adapters/aws-clients';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../../lambdas/adapters/dynamodb-purchase-ledger';
import { SqsDeadLetterSink } from '../../lambdas/adapters/sqs-dead-letter-sink';
import { stageNamePrefix, stageResourceNames } from '../../lib/config/stage-config';
import { createQueueWithDeadLetter } from '../../local/sqs-queues';
import { describeEvent, describePurchase, listDeadLetters, OpsError, redriveDeadLetters } from '../../ops/operations';
import { SqsDeadLetterQueue } from '../../ops/sqs-dead-letter-queue';
import { startDynalite } from '../support/dynalite';
import { startProcessorHarness, type ProcessorHarness } from '../support/processor-harness';
import { checkoutCompleted, invoiceEvent, nextId, subscriptionEvent } from '../support/stripe-events';

jest.setTimeout(60_000);

const VERSION = '2026-07-29.dahlia';
const DAY = 86_400;
const ROOT = path.resolve(__dirname, '..', '..');

describe('the operations over the DLQ and the ledger the processor fills', () => {
  let h: ProcessorHarness;
  let dlq: SqsDeadLetterQueue;
  beforeAll(async () => {
    h = await startProcessorHarness({ maxReceiveCount: 3 });
    dlq = new SqsDeadLetterQueue(h.sqs, h.deadLetterQueueUrl, h.queueUrl);
  });
  afterAll(async () => h.stop());

  test('dlq shows each event and why; redrive moves only the named one back, and the processor then applies it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const subscriptionId = nextId('sub');
    const customerId = nextId('cus');
    // An invoice whose checkout has not arrived: retried, then moved to the DLQ by SQS.
    const invoice = invoiceEvent(VERSION, {
      type: 'invoice.paid', subscriptionId, customerId, billingReason: 'subscription_cycle', priceId: 'price_pro_monthly',
      // Past the 30 days a new license at the fake TO runs for, so the expiry below shows the invoice applied.
      periodStart: now, periodEnd: now + 45 * DAY, created: now + 60, paymentIntentId: nextId('pi'), chargeId: nextId('ch'),
    });
    // A price nobody mapped: dead-lettered by the processor at once, with its reason on the message.
    const unmapped = subscriptionEvent(VERSION, { type: 'customer.subscription.created', subscriptionId: nextId('sub'), customerId, priceId: 'price_nobody_mapped', periodEnd: now + 30 * DAY, created: now });
    await h.send(invoice, unmapped);
    await h.drain();

    const rows = await listDeadLetters(dlq, h.ledger);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.eventId === invoice.id)).toMatchObject({
      eventType: 'invoice.paid', purchaseId: subscriptionId, reason: 'unknown_purchase', attempts: 3, message: `invoice.paid ${invoice.id} refers to a purchase the ledger does not know yet`,
    });
    expect(rows.find((row) => row.eventId === unmapped.id)).toMatchObject({ eventType: 'customer.subscription.created', reason: 'unknown_price' });
    // Reading leaves everything where it was.
    expect((await listDeadLetters(dlq, h.ledger)).map((row) => row.eventId).sort()).toEqual([invoice.id, unmapped.id].sort());
    expect(await describeEvent(dlq, h.ledger, invoice.id)).toMatchObject({
      inDeadLetterQueue: true, failure: { reason: 'unknown_purchase', retryable: true, attempts: 3 },
    });

    // A typo moves nothing.
    await expect(redriveDeadLetters(dlq, h.ledger, { eventIds: [invoice.id, 'evt_typo'] })).rejects.toThrow(new OpsError('not in the DLQ: evt_typo (nothing was moved)'));
    expect(await dlq.peek()).toHaveLength(2);

    // The cause is fixed (the checkout arrives); then only the invoice goes back.
    await h.send(checkoutCompleted(VERSION, {
      mode: 'subscription', subscriptionId, customerId, email: 'ada@example.com', name: 'Ada',
      metadata: { to_product_id: 'to_prod_example', to_license_tier: 'professional' }, created: now,
    }));
    await h.drain();
    const moved = await redriveDeadLetters(dlq, h.ledger, { eventIds: [invoice.id] });
    expect(moved.map((row) => row.eventId)).toEqual([invoice.id]);
    expect((await dlq.peek()).map((letter) => letter.eventId)).toEqual([unmapped.id]);

    await h.drain();
    const [license] = h.to.licenses().filter((l) => l.app_name === subscriptionId);
    expect(Date.parse(license.expires_at as string)).toBeGreaterThanOrEqual((now + 45 * DAY) * 1000);
    const purchase = await describePurchase(h.ledger, subscriptionId);
    expect(purchase?.history.map((entry) => entry.sourceType)).toEqual(['checkout.session.completed', 'invoice.paid']);
    expect(purchase).toMatchObject({ customerId, email: 'ada@example.com', summary: { license: { licenseId: license.license_id, status: 'active' } } });
    expect(JSON.stringify(purchase)).not.toContain(license.license_key);
    expect(await describeEvent(dlq, h.ledger, invoice.id)).toEqual({ eventId: invoice.id, failure: null, inDeadLetterQueue: false });
    expect(await describePurchase(h.ledger, 'sub_never_seen')).toBeNull();
  });

  test('a redriven message goes back without the failure attributes, the event attributes kept', async () => {
    const event = subscriptionEvent(VERSION, { type: 'customer.subscription.created', subscriptionId: nextId('sub'), customerId: nextId('cus'), priceId: 'price_nobody_mapped', periodEnd: 2_000_000_000, created: 1_900_000_000 });
    await h.send(event);
    await h.drain();
    expect((await dlq.peek()).find((letter) => letter.eventId === event.id)).toMatchObject({ failureReason: 'unknown_price' });

    await redriveDeadLetters(dlq, h.ledger, { eventIds: [event.id] });
    const { Messages = [] } = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
    const back = Messages.find((message) => message.MessageAttributes?.eventId?.StringValue === event.id);
    // (The processor's dead letter carries the event id and type, not `created`; nothing reads it back.)
    expect(Object.keys(back?.MessageAttributes ?? {}).sort()).toEqual(['eventId', 'eventType']);
    expect(JSON.parse(back?.Body ?? '{}')).toEqual(event);
  });
});

describe('npm run ops, against a stage\'s named resources', () => {
  const names = stageResourceNames(stageNamePrefix('test'));
  let sqs: SQSClient;
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let queues: Awaited<ReturnType<typeof createQueueWithDeadLetter>>;

  beforeAll(async () => {
    db = await startDynalite({ ledger: names.ledgerTable, idempotency: names.idempotencyTable });
    sqs = createSqsClient({ endpoint: process.env.FAUXQS_ENDPOINT });
    queues = await createQueueWithDeadLetter(sqs, { name: names.provisioningQueue, deadLetterName: names.deadLetterQueue, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 });
    const ledger = new DynamoDbPurchaseLedger(createDocumentClient(db.client), names.ledgerTable);
    const body = JSON.stringify({ id: 'evt_ops_cli_1', type: 'checkout.session.completed' });
    await new SqsDeadLetterSink(sqs, queues.deadLetter.url).send({
      eventId: 'evt_ops_cli_1', eventType: 'checkout.session.completed', body, reason: 'missing_license_metadata', message: 'checkout cs_1 has no to_license_tier',
    });
    await ledger.recordFailure({
      eventId: 'evt_ops_cli_1', eventType: 'checkout.session.completed', purchaseId: 'sub_ops_1', reason: 'missing_license_metadata', retryable: false,
      message: 'checkout cs_1 has no to_license_tier',
    }, Date.now());
  });
  afterAll(async () => {
    sqs.destroy();
    await db.stop();
  });

  /** The command exactly as the runbook gives it, with the AWS environment pointed at the emulators. */
  function ops(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SQS: process.env.FAUXQS_ENDPOINT, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    };
    delete env.AWS_PROFILE;
    const child = spawn('npm', ['run', '--silent', 'ops', '--', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  test('dlq prints each event with its reason; --json gives the same as data', async () => {
    const text = await ops('dlq', '--stage', 'test');
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(`1 event(s) in ${names.deadLetterQueue}`);
    expect(text.stdout).toMatch(/evt_ops_cli_1 {2}checkout\.session\.completed {2}missing_license_metadata after 1 attempt\(s\) {2}queued \S+ {2}purchase sub_ops_1/);
    expect(text.stdout).toContain('checkout cs_1 has no to_license_tier');

    const json = await ops('dlq', '--stage=test', '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ eventId: 'evt_ops_cli_1', reason: 'missing_license_metadata', attempts: 1, purchaseId: 'sub_ops_1' })]);
  });

  test('event and purchase views; an unknown purchase is exit 1 with a clear message', async () => {
    const event = await ops('event', 'evt_ops_cli_1', '--stage', 'test');
    expect(event.code).toBe(0);
    expect(event.stdout).toContain('evt_ops_cli_1: in the DLQ');
    expect(event.stdout).toContain('missing_license_metadata (final) checkout cs_1 has no to_license_tier');

    expect(await ops('purchase', 'sub_nobody', '--stage', 'test')).toMatchObject({ code: 1, stdout: '', stderr: `no purchase sub_nobody in ${names.ledgerTable}\n` });
  });

  test('a wrong command line is exit 2 with the usage; nothing is touched', async () => {
    for (const args of [['dlq'], ['dlq', '--stage', 'prod'], ['drop-everything', '--stage', 'test'], ['redrive', '--stage', 'test'], ['purchase', '--stage', 'test'], ['dlq', '--all', '--stage', 'test']]) {
      const result = await ops(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('Usage: npm run ops -- <command> --stage <test|live>');
    }
  });

  test('redrive moves the named event back to the provisioning queue (runs last: it empties the DLQ)', async () => {
    expect(await ops('redrive', 'evt_missing', '--stage', 'test')).toMatchObject({ code: 1, stderr: 'not in the DLQ: evt_missing (nothing was moved)\n' });
    const moved = await ops('redrive', 'evt_ops_cli_1', '--stage', 'test');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`moved 1 event(s) back to ${names.provisioningQueue}`);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.queue.url, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
    expect(Messages.map((message) => message.MessageAttributes?.eventId?.StringValue)).toEqual(['evt_ops_cli_1']);
    expect((await ops('dlq', '--stage', 'test')).stdout).toContain('0 event(s)');
  });
});
