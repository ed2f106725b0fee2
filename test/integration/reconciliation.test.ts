/**
 * The reconciliation Lambda (what EventBridge Scheduler runs) over real protocols: the real stripe
 * library pages through the fake Stripe Events API, the ledger is dynalite, lost events go back on
 * the fauxqs queue, and the real processor (fake Traffic Orchestrator, outbox folder) turns them
 * into licenses. It shows every outcome a paid checkout can have: licensed, never seen (requeued,
 * then licensed once), failed here (reported with its reason, left in the DLQ), unreadable, and the
 * ones a run must not judge (unpaid, too young, outside the window).
 */
import { METRIC } from '../../lambdas/observability/metric-names';
import { startProcessorHarness, type ProcessorHarness } from '../support/processor-harness';
import { checkoutCompleted, invoiceEvent, nextId, type StripeEventJson } from '../support/stripe-events';

jest.setTimeout(30_000);

const VERSION = '2026-07-29.dahlia';
const HOUR = 3600;
const METADATA = { to_product_id: 'to_prod_example', to_license_tier: 'professional' };

let h: ProcessorHarness;
beforeEach(async () => { h = await startProcessorHarness(); });
afterEach(async () => h.stop());

const nowSeconds = (): number => Math.floor(h.clock.nowMs() / 1000);

function subscriptionCheckout(createdAgoSeconds: number, extra: { paymentStatus?: 'paid' | 'unpaid'; email?: string } = {}) {
  const subscriptionId = nextId('sub');
  const event = checkoutCompleted(VERSION, {
    mode: 'subscription', subscriptionId, customerId: nextId('cus'), email: extra.email ?? `${subscriptionId}@example.com`, name: 'Ada',
    metadata: METADATA, paymentStatus: extra.paymentStatus, created: nowSeconds() - createdAgoSeconds,
  });
  return { subscriptionId, event };
}

/** Delivered as a webhook would be, and processed. */
async function delivered(...events: StripeEventJson[]): Promise<void> {
  await h.send(...events);
  await h.drain();
}

const licensesOf = (purchaseId: string) => h.to.licenses().filter((license) => license.app_name === purchaseId);

test('a paid checkout whose webhook never arrived goes back on the queue and becomes exactly one license; the next run finds it licensed', async () => {
  const received = subscriptionCheckout(2 * HOUR);
  const lost = subscriptionCheckout(3 * HOUR, { email: 'lost@example.com' });
  const awaitingPayment = subscriptionCheckout(HOUR, { paymentStatus: 'unpaid' });
  // A setup-mode session (a saved card) buys nothing: the processor records it as a no-op.
  const cardSaved = { ...subscriptionCheckout(HOUR).event };
  cardSaved.data = { object: { ...(cardSaved.data.object as object), mode: 'setup', subscription: null, setup_intent: 'seti_1' } };
  await delivered(received.event, cardSaved);
  expect(await h.deadLetters()).toEqual([]);
  // Stripe's record holds every event, the lost one included, and other types the job does not read.
  const renewal = invoiceEvent(VERSION, {
    type: 'invoice.paid', subscriptionId: received.subscriptionId, customerId: 'cus_x', billingReason: 'subscription_cycle',
    priceId: 'price_pro_monthly', periodStart: nowSeconds(), periodEnd: nowSeconds() + 30 * 86_400, created: nowSeconds() - HOUR,
  });
  h.stripe.addEvents(received.event, lost.event, awaitingPayment.event, cardSaved, renewal);

  const first = await h.runReconciliation();
  expect(first).toMatchObject({ checked: 4, licensed: 1, notPaid: 1, notPurchases: 1 });
  expect(first.orphaned).toEqual([{ eventId: lost.event.id, eventType: 'checkout.session.completed', purchaseId: lost.subscriptionId, action: 'requeued', reason: null }]);
  expect(h.reconciliationMetrics.total(METRIC.paymentsReconciled)).toBe(4);
  expect(h.reconciliationMetrics.total(METRIC.orphanedPayment)).toBe(1);
  expect(h.reconciliationMetrics.total(METRIC.orphanedPaymentRequeued)).toBe(1);

  // The job asked Stripe for the payment events of its window only.
  const [request] = h.stripe.requests();
  expect(request.path).toBe('/v1/events');
  expect([request.query['types[0]'], request.query['types[1]']]).toEqual(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
  expect(Number(request.query['created[lte]'])).toBeLessThanOrEqual(nowSeconds() - 900);
  expect(Number(request.query['created[gte]'])).toBe(Number(request.query['created[lte]']) - 4 * 86_400);

  // The processor takes the requeued event like any webhook: one license, its key e-mailed.
  await h.drain();
  expect(await h.deadLetters()).toEqual([]);
  expect(licensesOf(lost.subscriptionId)).toHaveLength(1);
  expect((await h.outbox()).filter((email) => email.to === 'lost@example.com').map((email) => email.template)).toEqual(['license_delivered']);
  expect(licensesOf(received.subscriptionId)).toHaveLength(1);
  expect(licensesOf(awaitingPayment.subscriptionId)).toHaveLength(0);

  // Healed: the next run (and a second requeue, were it to happen) changes nothing.
  const second = await h.runReconciliation();
  expect(second).toMatchObject({ checked: 4, licensed: 2, notPaid: 1, notPurchases: 1, orphaned: [] });
  await h.send(lost.event);
  await h.drain();
  expect(licensesOf(lost.subscriptionId)).toHaveLength(1);
});

test('a paid checkout that failed here is reported with its reason and left in the DLQ; an unreadable one is reported, not requeued', async () => {
  // A one-time purchase without the checkout metadata: a final business failure, dead-lettered at once.
  const broken = checkoutCompleted(VERSION, {
    mode: 'payment', customerId: nextId('cus'), email: 'broken@example.com', created: nowSeconds() - 2 * HOUR,
  });
  await delivered(broken);
  expect(await h.deadLetters()).toHaveLength(1);
  const unreadable = { ...subscriptionCheckout(2 * HOUR).event, data: { object: { id: 'cs_garbled', object: 'checkout.session' } } };
  h.stripe.addEvents(broken, unreadable);

  const run = await h.runReconciliation();
  expect(run).toMatchObject({ checked: 2, licensed: 0 });
  expect(run.orphaned).toEqual(expect.arrayContaining([
    { eventId: broken.id, eventType: 'checkout.session.completed', purchaseId: (broken.data.object as { payment_intent: string }).payment_intent, action: 'failed_here', reason: 'missing_license_metadata' },
    { eventId: unreadable.id, eventType: 'checkout.session.completed', purchaseId: null, action: 'unreadable', reason: expect.stringMatching(/^(unsupported_payload_shape|unparseable_event)$/) },
  ]));
  expect(h.reconciliationMetrics.total(METRIC.orphanedPayment)).toBe(2);
  expect(h.reconciliationMetrics.total(METRIC.orphanedPaymentRequeued)).toBe(0);

  // Nothing was put back on the queue: the DLQ still holds the one failure, nothing was licensed.
  await h.drain();
  expect(await h.deadLetters()).toHaveLength(1);
  expect(h.to.licenses()).toEqual([]);
});

test('events younger than the settle time, or older than the lookback window, are not judged', async () => {
  const tooYoung = subscriptionCheckout(60);
  const tooOld = subscriptionCheckout(5 * 86_400);
  const inWindow = subscriptionCheckout(2 * HOUR);
  h.stripe.addEvents(tooYoung.event, tooOld.event, inWindow.event);

  const run = await h.runReconciliation({ RECONCILIATION_LOOKBACK_SECONDS: String(4 * 86_400), RECONCILIATION_SETTLE_SECONDS: '900' });
  expect(run.checked).toBe(1);
  expect(run.orphaned.map((orphan) => orphan.purchaseId)).toEqual([inWindow.subscriptionId]);
});

test('pages through every event of the window (more than one page of 100)', async () => {
  const pending = Array.from({ length: 130 }, (_, i) => subscriptionCheckout(HOUR + i, { paymentStatus: 'unpaid' }).event);
  h.stripe.addEvents(...pending);

  const run = await h.runReconciliation();
  expect(run).toMatchObject({ checked: 130, notPaid: 130, orphaned: [] });
  const pages = h.stripe.requests();
  expect(pages).toHaveLength(2);
  expect(pages[0].query.limit).toBe('100');
  expect(pages[1].query.starting_after).toBe(pending[99].id);
});

test("a Stripe 5xx is retried by the library; a wrong key fails the run; a key of the other mode is refused before any call", async () => {
  const lost = subscriptionCheckout(2 * HOUR);
  h.stripe.addEvents(lost.event);
  h.stripe.failNext(1, 500);
  expect((await h.runReconciliation()).orphaned).toHaveLength(1);

  await expect(h.runReconciliation({ STRIPE_API_KEY: 'rk_test_revoked' })).rejects.toThrow(/Invalid API Key/);

  const requestsBefore = h.stripe.requests().length;
  await expect(h.runReconciliation({ STRIPE_API_KEY: 'sk_live_123' })).rejects.toThrow('the Stripe API key is a live-mode key; the test stage needs a test-mode key');
  await expect(h.runReconciliation({ STRIPE_API_KEY: 'pk_test_123' })).rejects.toThrow(/not a secret \(sk_…\) or restricted \(rk_…\) key/);
  expect(h.stripe.requests()).toHaveLength(requestsBefore);
});
