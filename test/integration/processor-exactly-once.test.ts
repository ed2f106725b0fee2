/**
 * Issue 3 acceptance, through real protocols: fauxqs → processor → dynalite (idempotency + ledger)
 * → the real Traffic Orchestrator SDK over HTTP → the fake Traffic Orchestrator.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createLocalContext } from '../../local/lambda-context';
import { METRIC } from '../../lambdas/observability/metric-names';
import type { LicenseProvider } from '../../lambdas/ports/license-provider';
import { startProcessorHarness, type ProcessorHarness } from '../support/processor-harness';
import { chargeRefunded, checkoutCompleted, invoiceEvent, nextId, subscriptionEvent, type StripeEventJson } from '../support/stripe-events';

jest.setTimeout(30_000);

const VERSION = '2026-07-29.dahlia';
const NOW = Math.floor(Date.now() / 1000);
const METADATA = { to_product_id: 'to_prod_example', to_license_tier: 'professional', to_max_domains: '10' };

function subscriptionCheckout(overrides: { subscriptionId?: string; eventId?: string; metadata?: Record<string, string> } = {}): StripeEventJson {
  return checkoutCompleted(VERSION, {
    mode: 'subscription',
    subscriptionId: overrides.subscriptionId ?? nextId('sub'),
    customerId: nextId('cus'),
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    metadata: overrides.metadata ?? METADATA,
    created: NOW - 5,
    eventId: overrides.eventId,
  });
}

function licensesFor(h: ProcessorHarness, purchaseId: string) {
  return h.to.licenses().filter((license) => license.app_name === purchaseId);
}

describe('processor: exactly one license per purchase', () => {
  let h: ProcessorHarness;
  afterEach(async () => h?.stop());

  test('a subscription checkout creates one license, records it in the ledger and e-mails the key', async () => {
    h = await startProcessorHarness();
    const checkout = subscriptionCheckout();
    const purchaseId = checkout.data.object.subscription as string;
    await h.send(checkout);
    await h.drain();

    const [license, ...others] = licensesFor(h, purchaseId);
    expect(others).toHaveLength(0);
    expect(license).toMatchObject({ status: 'active', plan_id: 'plan_professional' });
    const state = await h.ledger.get(purchaseId);
    expect(state?.license).toMatchObject({ licenseId: license.license_id, planId: 'plan_professional', tier: 'professional', maxDomains: 10, status: 'active' });
    expect(state?.outbox).toEqual([]);
    const [email] = await h.outbox();
    expect(email).toMatchObject({ to: 'ada@example.com', template: 'license_delivered', purchaseId });
    expect(email.text).toContain(license.license_key);
    expect(h.metrics.total(METRIC.licenseCreated)).toBe(1);
    expect(h.metrics.total(METRIC.provisioningLatency)).toBeGreaterThan(0);
    const history = await h.ledger.history(purchaseId);
    expect(history.map((entry) => entry.sourceId)).toEqual([checkout.id]);
    expect(JSON.stringify(history)).not.toContain(license.license_key);
  });

  test('a one-time checkout creates a perpetual license keyed by its payment intent', async () => {
    h = await startProcessorHarness();
    const paymentIntentId = nextId('pi');
    await h.send(checkoutCompleted(VERSION, {
      mode: 'payment', paymentIntentId, customerId: null, email: 'bob@example.com', metadata: { ...METADATA, to_license_tier: 'starter', to_max_domains: '3' }, created: NOW,
    }));
    await h.drain();
    expect(licensesFor(h, paymentIntentId)).toHaveLength(1);
    const state = await h.ledger.get(paymentIntentId);
    expect(state).toMatchObject({ kind: 'one_time', license: { tier: 'starter', planId: 'plan_starter' } });
  });

  test('the same event delivered again (new SQS message id) is a duplicate: no second license', async () => {
    h = await startProcessorHarness();
    const checkout = subscriptionCheckout();
    await h.send(checkout);
    await h.drain();
    await h.send(checkout);
    await h.drain();
    expect(licensesFor(h, checkout.data.object.subscription)).toHaveLength(1);
    expect(h.metrics.total(METRIC.duplicateEvent)).toBe(1);
    expect(h.metrics.total(METRIC.eventProcessed)).toBe(1);
    expect(await h.outbox()).toHaveLength(1);
  });

  test('two different events of one purchase in one batch, and the same event in two concurrent batches, create one license', async () => {
    h = await startProcessorHarness();
    const subscriptionId = nextId('sub');
    const first = subscriptionCheckout({ subscriptionId });
    // A second checkout event of the same purchase (e.g. Stripe's at-least-once delivery with a new event id).
    const second = subscriptionCheckout({ subscriptionId });
    await h.send(first, second);
    // Two consumers racing over the same queue, like two concurrent Lambda invocations.
    await Promise.all([h.source.pollOnce(), h.source.pollOnce()]);
    await h.drain();
    expect(licensesFor(h, subscriptionId)).toHaveLength(1);

    const concurrentId = nextId('sub');
    const event = subscriptionCheckout({ subscriptionId: concurrentId });
    const record = (messageId: string) => ({
      messageId, receiptHandle: messageId, body: JSON.stringify(event), md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: { eventId: { dataType: 'String', stringValue: event.id, stringListValues: [], binaryListValues: [] } },
    });
    const context = createLocalContext('processor', 30_000);
    const results = await Promise.all([h.handler({ Records: [record('m1')] }, context), h.handler({ Records: [record('m2')] }, context)]);
    // One invocation did the work; the other found it in progress (or already done) and did not create.
    expect(licensesFor(h, concurrentId)).toHaveLength(1);
    const failed = results.flatMap((result) => result.batchItemFailures.map((failure) => failure.itemIdentifier));
    expect(failed).toHaveLength(1);
  });

  test('two different events of one purchase in two concurrent invocations: the purchase lease lets one in, the other is retried; one license, both applied', async () => {
    // The checkout's create call is held open until the test lets it go: its invocation holds the
    // purchase's lease meanwhile, whatever the machine's speed.
    let createStarted!: () => void;
    const createCalled = new Promise<void>((resolve) => { createStarted = resolve; });
    let releaseCreate!: () => void;
    const createReleased = new Promise<void>((resolve) => { releaseCreate = resolve; });
    h = await startProcessorHarness({
      wrapLicenses: (real) => Object.assign(Object.create(real) as LicenseProvider, {
        create: async (...args: Parameters<LicenseProvider['create']>) => {
          createStarted();
          await createReleased;
          return real.create(...args);
        },
      }),
    });
    const subscriptionId = nextId('sub');
    const checkout = subscriptionCheckout({ subscriptionId });
    const created = subscriptionEvent(VERSION, {
      type: 'customer.subscription.created', subscriptionId, customerId: 'cus_lease', priceId: 'price_pro_monthly', periodEnd: NOW + 30 * 86_400, created: NOW,
    });
    const record = (event: StripeEventJson, messageId: string) => ({
      messageId, receiptHandle: messageId, body: JSON.stringify(event), md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: { eventId: { dataType: 'String', stringValue: event.id, stringListValues: [], binaryListValues: [] } },
    });
    const context = createLocalContext('processor', 30_000);
    const invoke = (event: StripeEventJson, messageId: string) => h.handler({ Records: [record(event, messageId)] }, context);

    const checkoutRun = invoke(checkout, 'm-checkout');
    await createCalled;
    // Another invocation with another event of the same purchase, while the first holds the lease.
    expect((await invoke(created, 'm-created')).batchItemFailures).toEqual([{ itemIdentifier: 'm-created' }]);
    expect(await h.ledger.getFailure(created.id)).toMatchObject({ reason: 'purchase_busy', retryable: true });
    releaseCreate();
    expect((await checkoutRun).batchItemFailures).toEqual([]);

    // SQS redelivers the busy one; now it goes through.
    expect((await invoke(created, 'm-created-2')).batchItemFailures).toEqual([]);
    expect(licensesFor(h, subscriptionId)).toHaveLength(1);
    expect((await h.ledger.get(subscriptionId))?.appliedEventIds).toEqual(expect.arrayContaining([checkout.id, created.id]));
    expect(await h.ledger.getFailure(created.id)).toBeNull();
  });

  test('a create whose response is lost (timeout) ends with exactly one license, found by lookup', async () => {
    // Every TO call gets this timeout, the lookup after the lost create too: short enough to keep
    // the test quick, long enough that a busy machine does not turn an answered call into a timeout.
    h = await startProcessorHarness({ toTimeoutMs: 1500 });
    h.to.injectFault({ method: 'POST', path: '/portal/licenses', kind: 'lost_response' });
    const checkout = subscriptionCheckout();
    await h.send(checkout);
    await h.drain();
    expect(licensesFor(h, checkout.data.object.subscription)).toHaveLength(1);
    const state = await h.ledger.get(checkout.data.object.subscription);
    expect(state?.license?.licenseId).toBe(licensesFor(h, checkout.data.object.subscription)[0].license_id);
    expect(await h.deadLetters()).toHaveLength(0);
  });

  test('a 5xx from Traffic Orchestrator is retried through the queue and then succeeds', async () => {
    h = await startProcessorHarness();
    h.to.injectFault({ method: 'POST', path: '/portal/licenses', kind: '5xx', times: 2 });
    const checkout = subscriptionCheckout();
    await h.send(checkout);
    await h.drain();
    expect(licensesFor(h, checkout.data.object.subscription)).toHaveLength(1);
    expect(h.metrics.total(METRIC.licenseCreationFailed)).toBe(2);
    expect(await h.deadLetters()).toHaveLength(0);
    expect(await h.ledger.getFailure(checkout.id)).toBeNull();
  });

  test('a 4xx from Traffic Orchestrator lands in the DLQ at once with its reason', async () => {
    h = await startProcessorHarness();
    h.to.injectFault({ method: 'POST', path: '/portal/licenses', kind: '4xx', code: 'PLAN_NOT_FOUND', times: Infinity });
    const checkout = subscriptionCheckout();
    await h.send(checkout);
    await h.drain();
    const [letter, ...more] = await h.deadLetters();
    expect(more).toHaveLength(0);
    expect(letter.Body).toBe(JSON.stringify(checkout));
    expect(letter.MessageAttributes?.failureReason?.StringValue).toBe('license_provider_rejected');
    expect(letter.MessageAttributes?.eventId?.StringValue).toBe(checkout.id);
    expect(await h.ledger.getFailure(checkout.id)).toMatchObject({ reason: 'license_provider_rejected', retryable: false, attempts: 1 });
    expect(h.to.requests().filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('a crash after the vendor created the license and before the ledger write recovers to one license', async () => {
    let crashOnce = true;
    h = await startProcessorHarness({
      // The crashed invocation's idempotency record expires with its Lambda timeout, the purchase lease after 1 s.
      lambdaTimeoutMs: 1000,
      leaseSeconds: 1,
      wrapLicenses: (real): LicenseProvider => Object.assign(Object.create(real) as LicenseProvider, {
        create: async (input: { purchaseRef: string; planId: string }) => {
          const license = await real.create(input);
          if (crashOnce) {
            crashOnce = false;
            // The process dies here: the lease is never released and nothing more is written.
            return new Promise<never>(() => undefined);
          }
          return license;
        },
      }),
    });
    const checkout = subscriptionCheckout();
    const purchaseId = checkout.data.object.subscription as string;
    await h.send(checkout);
    void h.source.pollOnce(); // the invocation that "crashes" (never returns)
    await waitFor(() => licensesFor(h, purchaseId).length === 1);
    // SQS redelivers after the visibility timeout; the lease and the in-progress record expire after 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await h.drain();
    expect(licensesFor(h, purchaseId)).toHaveLength(1);
    const state = await h.ledger.get(purchaseId);
    expect(state?.license?.licenseId).toBe(licensesFor(h, purchaseId)[0].license_id);
    expect((await h.outbox()).map((email) => email.template)).toEqual(['license_delivered']);
  });
});

describe('processor: failure classes', () => {
  let h: ProcessorHarness;
  afterEach(async () => h?.stop());

  test('an unparseable body goes straight to the DLQ as unparseable_event (no retry loop)', async () => {
    h = await startProcessorHarness();
    await h.sqs.send(new SendMessageCommand({ QueueUrl: h.queueUrl, MessageBody: '{not json' }));
    await h.drain();
    const [letter] = await h.deadLetters();
    expect(letter.Body).toBe('{not json');
    expect(letter.MessageAttributes?.failureReason?.StringValue).toBe('unparseable_event');
    // Received once, dead-lettered by the processor itself, counted: no retry loop.
    expect(h.metrics.total(METRIC.eventFailed)).toBe(1);
    expect(h.metrics.total(METRIC.eventDeadLettered)).toBe(1);
  });

  test('a poison message with a Stripe event id keeps its failure record for the DLQ tools', async () => {
    h = await startProcessorHarness();
    const poison = JSON.stringify({ id: 'evt_poison_1', object: 'event', type: 'invoice.paid', created: NOW, livemode: false, data: 'not an object' });
    await h.sqs.send(new SendMessageCommand({ QueueUrl: h.queueUrl, MessageBody: poison }));
    await h.drain();
    expect(await h.deadLetters()).toHaveLength(1);
    expect(await h.ledger.getFailure('evt_poison_1')).toMatchObject({ reason: 'unparseable_event', retryable: false, attempts: 1 });
    expect(h.metrics.total(METRIC.eventDeadLettered)).toBe(1);
  });

  test('a setup-mode checkout (a saved card, nothing bought) is recorded as a no-op: no license, no failure, no DLQ', async () => {
    h = await startProcessorHarness();
    const event = checkoutCompleted(VERSION, { mode: 'subscription', customerId: 'cus_setup', email: 'setup@example.com', created: NOW });
    event.data.object = { ...event.data.object, mode: 'setup', subscription: null, setup_intent: 'seti_1' };
    await h.send(event);
    await h.drain();
    expect(await h.deadLetters()).toEqual([]);
    expect(h.to.licenses()).toEqual([]);
    expect(await h.ledger.getFailure(event.id)).toBeNull();
    expect(h.metrics.total(METRIC.eventProcessed)).toBe(1);
    expect(h.metrics.total(METRIC.eventFailed)).toBe(0);
  });

  test('missing license metadata on a one-time purchase fails with a named reason and a metric', async () => {
    h = await startProcessorHarness();
    const checkout = checkoutCompleted(VERSION, { mode: 'payment', customerId: null, email: 'c@example.com', metadata: {}, created: NOW });
    await h.send(checkout);
    await h.drain();
    const [letter] = await h.deadLetters();
    expect(letter.MessageAttributes?.failureReason?.StringValue).toBe('missing_license_metadata');
    expect(h.metrics.total(METRIC.businessRuleViolation)).toBe(1);
    expect(h.to.licenses()).toHaveLength(0);
  });

  test('an event about an unknown purchase is retried, then lands in the DLQ with its reason recorded', async () => {
    h = await startProcessorHarness({ maxReceiveCount: 3 });
    const renewal = invoiceEvent(VERSION, {
      type: 'invoice.paid', subscriptionId: nextId('sub'), customerId: nextId('cus'), billingReason: 'subscription_cycle',
      periodStart: NOW, periodEnd: NOW + 30 * 86_400, priceId: 'price_pro_monthly', created: NOW,
    });
    await h.send(renewal);
    await h.drain();
    const [letter] = await h.deadLetters();
    expect(letter.Body).toBe(JSON.stringify(renewal));
    expect(await h.ledger.getFailure(renewal.id)).toMatchObject({ reason: 'unknown_purchase', retryable: true, attempts: 3 });
  });

  test('a full refund of a one-time purchase revokes its license', async () => {
    h = await startProcessorHarness();
    const paymentIntentId = nextId('pi');
    await h.send(checkoutCompleted(VERSION, { mode: 'payment', paymentIntentId, customerId: null, email: 'r@example.com', metadata: METADATA, created: NOW - 10 }));
    await h.drain();
    await h.send(chargeRefunded(VERSION, { chargeId: nextId('ch'), paymentIntentId, amount: 2000, amountRefunded: 2000, created: NOW }));
    await h.drain();
    expect(licensesFor(h, paymentIntentId)[0].status).toBe('revoked');
    expect((await h.outbox()).map((email) => email.template)).toEqual(['license_delivered', 'revoked']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
