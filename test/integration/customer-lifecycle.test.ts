/**
 * Issue 4 acceptance: whole customer lives through the real pipeline (fauxqs → processor →
 * dynalite → Traffic Orchestrator SDK → fake TO, e-mails to a folder), asserting the final state at
 * Traffic Orchestrator and the e-mails sent. Both Stripe API versions are exercised.
 */
import type { FakeLicense } from '../support/fake-traffic-orchestrator';
import { startProcessorHarness, type ProcessorHarness } from '../support/processor-harness';
import {
  chargeRefunded,
  checkoutCompleted,
  disputeEvent,
  invoiceEvent,
  invoicePaymentPaid,
  nextId,
  subscriptionEvent,
  type StripeApiVersion,
  type StripeEventJson,
} from '../support/stripe-events';

jest.setTimeout(30_000);

const DAY = 86_400;
const METADATA = { to_product_id: 'to_prod_example', to_license_tier: 'professional', to_max_domains: '10' };

describe.each(['2025-02-24.acacia', '2026-07-29.dahlia'] as StripeApiVersion[])('customer lives (%s)', (version) => {
  let h: ProcessorHarness;
  beforeEach(async () => { h = await startProcessorHarness(); });
  afterEach(async () => h.stop());

  /** A customer who bought professional monthly `daysAgo` days ago, with the first invoice paid. */
  function customer(daysAgo = 40) {
    const start = Math.floor(h.clock.nowMs() / 1000) - daysAgo * DAY;
    const ids = { subscriptionId: nextId('sub'), customerId: nextId('cus'), paymentIntentId: nextId('pi'), chargeId: nextId('ch'), disputeId: nextId('dp') };
    const periodEnd = (n: number) => start + n * 30 * DAY;
    const invoice = (type: 'invoice.paid' | 'invoice.payment_failed', billingReason: string, period: number, created: number, priceId = 'price_pro_monthly') =>
      invoiceEvent(version, {
        type, subscriptionId: ids.subscriptionId, customerId: ids.customerId, billingReason, priceId,
        periodStart: periodEnd(period - 1), periodEnd: periodEnd(period), created,
        paymentIntentId: period === 1 ? ids.paymentIntentId : nextId('pi'), chargeId: period === 1 ? ids.chargeId : nextId('ch'),
      });
    const subscription = (type: Parameters<typeof subscriptionEvent>[1]['type'], created: number, extra: Partial<Parameters<typeof subscriptionEvent>[1]> = {}) =>
      subscriptionEvent(version, { type, subscriptionId: ids.subscriptionId, customerId: ids.customerId, priceId: 'price_pro_monthly', periodEnd: periodEnd(1), created, ...extra });
    const buy: StripeEventJson[] = [
      checkoutCompleted(version, { mode: 'subscription', subscriptionId: ids.subscriptionId, customerId: ids.customerId, email: 'ada@example.com', name: 'Ada', metadata: METADATA, created: start }),
      subscription('customer.subscription.created', start),
      invoice('invoice.paid', 'subscription_create', 1, start + 1),
    ];
    return { start, ids, periodEnd, invoice, subscription, buy };
  }

  async function run(...events: StripeEventJson[]): Promise<void> {
    for (const event of events) {
      await h.send(event);
      await h.drain();
    }
    expect(await h.deadLetters()).toEqual([]);
  }

  const licenseOf = (purchaseId: string): FakeLicense[] => h.to.licenses().filter((license) => license.app_name === purchaseId);
  const templates = async () => (await h.outbox()).map((email) => email.template);
  const expiry = (license: FakeLicense) => Math.floor(Date.parse(license.expires_at as string) / 1000);

  test('buy → renew → payment fails → grace ladder → payment recovers', async () => {
    // Bought yesterday: the second period ends past the 30 days a new license at the fake TO runs
    // for, so only a real extension reaches it.
    const c = customer(1);
    await run(...c.buy);
    const [issued] = licenseOf(c.ids.subscriptionId);
    expect(issued.status).toBe('active');
    expect(expiry(issued)).toBeLessThan(c.periodEnd(2));

    // Renewal: the expiry moves to the paid line's period end, not "+1 month" from today.
    await run(c.invoice('invoice.paid', 'subscription_cycle', 2, c.periodEnd(1) + 60));
    expect(expiry(licenseOf(c.ids.subscriptionId)[0])).toBeGreaterThanOrEqual(c.periodEnd(2));
    expect(expiry(licenseOf(c.ids.subscriptionId)[0])).toBeLessThan(c.periodEnd(2) + DAY);

    // Third period: the payment fails. Grace starts; the license stays active.
    const failedAt = c.periodEnd(2) + 60;
    h.clock.set(failedAt * 1000);
    await run(c.invoice('invoice.payment_failed', 'subscription_cycle', 3, failedAt));
    expect(licenseOf(c.ids.subscriptionId)[0]).toMatchObject({ status: 'active', plan_id: 'plan_professional' });

    // The scheduled job drives the ladder by time: day 3 reminder, day 7 downgrade, day 14 suspension.
    h.clock.set((failedAt + 3 * DAY + 1) * 1000);
    await h.runGraceEscalation();
    h.clock.set((failedAt + 7 * DAY + 1) * 1000);
    await h.runGraceEscalation();
    expect(licenseOf(c.ids.subscriptionId)[0]).toMatchObject({ status: 'active', plan_id: 'plan_free' });
    h.clock.set((failedAt + 14 * DAY + 1) * 1000);
    await h.runGraceEscalation();
    expect(licenseOf(c.ids.subscriptionId)[0]).toMatchObject({ status: 'suspended', plan_id: 'plan_free' });

    // The customer fixes the card: the retried invoice is paid; tier and status are restored.
    await run(c.invoice('invoice.paid', 'subscription_cycle', 3, failedAt + 14 * DAY + 100));
    const [restored, ...others] = licenseOf(c.ids.subscriptionId);
    expect(others).toHaveLength(0);
    expect(restored).toMatchObject({ license_id: issued.license_id, status: 'active', plan_id: 'plan_professional' });
    expect(expiry(restored)).toBeGreaterThanOrEqual(c.periodEnd(3));
    expect(await templates()).toEqual(['license_delivered', 'payment_failed', 'payment_reminder', 'downgraded', 'suspended', 'reactivated']);
  });

  test('buy → upgrade → downgrade → cancel', async () => {
    const c = customer();
    await run(...c.buy);
    await run(c.subscription('customer.subscription.updated', c.start + 5 * DAY, { priceId: 'price_business_monthly', previousPriceId: 'price_pro_monthly' }));
    expect(licenseOf(c.ids.subscriptionId).filter((l) => l.status === 'active')[0].plan_id).toBe('plan_business');
    await run(c.subscription('customer.subscription.updated', c.start + 10 * DAY, { priceId: 'price_starter_annual', previousPriceId: 'price_business_monthly' }));
    expect(licenseOf(c.ids.subscriptionId).filter((l) => l.status === 'active')[0].plan_id).toBe('plan_starter');
    await run(c.subscription('customer.subscription.updated', c.start + 11 * DAY, { priceId: 'price_starter_annual', cancelAtPeriodEnd: true }));
    const state = await h.ledger.get(c.ids.subscriptionId);
    expect(state?.facts.cancelAtPeriodEnd).toBe(true);
    expect(licenseOf(c.ids.subscriptionId).filter((l) => l.status === 'active')).toHaveLength(1);
    await run(c.subscription('customer.subscription.deleted', c.start + 30 * DAY, { priceId: 'price_starter_annual' }));
    expect(licenseOf(c.ids.subscriptionId).every((l) => l.status === 'revoked')).toBe(true);
    expect(await templates()).toEqual(['license_delivered', 'plan_changed', 'plan_changed', 'revoked']);
  });

  test('a plan change Traffic Orchestrator will not apply in place re-issues the license and e-mails the new key', async () => {
    const c = customer();
    await run(...c.buy);
    h.to.setHonourPlanPatch(false);
    await run(c.subscription('customer.subscription.updated', c.start + 5 * DAY, { priceId: 'price_business_monthly', previousPriceId: 'price_pro_monthly' }));
    const licenses = licenseOf(c.ids.subscriptionId);
    expect(licenses.map((l) => [l.plan_id, l.status])).toEqual([['plan_professional', 'revoked'], ['plan_business', 'active']]);
    const emails = await h.outbox();
    expect(emails.map((e) => e.template)).toEqual(['license_delivered', 'plan_changed']);
    expect(emails[1].text).toContain(licenses[1].license_key);
    expect((await h.ledger.get(c.ids.subscriptionId))?.license?.licenseId).toBe(licenses[1].license_id);
  });

  test('buy → dispute → won', async () => {
    const c = customer();
    await run(...c.buy);
    await run(disputeEvent(version, { type: 'charge.dispute.created', disputeId: c.ids.disputeId, chargeId: c.ids.chargeId, paymentIntentId: c.ids.paymentIntentId, status: 'needs_response', created: c.start + 3 * DAY }));
    expect(licenseOf(c.ids.subscriptionId)[0].status).toBe('suspended');
    await run(disputeEvent(version, { type: 'charge.dispute.closed', disputeId: c.ids.disputeId, chargeId: c.ids.chargeId, paymentIntentId: c.ids.paymentIntentId, status: 'won', created: c.start + 20 * DAY }));
    expect(licenseOf(c.ids.subscriptionId)[0].status).toBe('active');
    expect(await templates()).toEqual(['license_delivered', 'suspended', 'reactivated']);
  });

  test('buy → dispute → lost', async () => {
    const c = customer();
    await run(...c.buy);
    await run(disputeEvent(version, { type: 'charge.dispute.created', disputeId: c.ids.disputeId, chargeId: c.ids.chargeId, paymentIntentId: c.ids.paymentIntentId, status: 'needs_response', created: c.start + 3 * DAY }));
    await run(disputeEvent(version, { type: 'charge.dispute.closed', disputeId: c.ids.disputeId, chargeId: c.ids.chargeId, paymentIntentId: c.ids.paymentIntentId, status: 'lost', created: c.start + 20 * DAY }));
    expect(licenseOf(c.ids.subscriptionId)[0].status).toBe('revoked');
    // A late renewal cannot bring a revoked license back.
    await run(c.invoice('invoice.paid', 'subscription_cycle', 2, c.start + 31 * DAY));
    expect(licenseOf(c.ids.subscriptionId)[0].status).toBe('revoked');
    expect(await templates()).toEqual(['license_delivered', 'suspended', 'revoked']);
  });

  test('one-time purchase → full refund', async () => {
    const paymentIntentId = nextId('pi');
    const chargeId = nextId('ch');
    const created = Math.floor(h.clock.nowMs() / 1000) - DAY;
    await run(checkoutCompleted(version, { mode: 'payment', paymentIntentId, customerId: nextId('cus'), email: 'one@example.com', metadata: { ...METADATA, to_license_tier: 'business', to_max_domains: '25' }, created }));
    expect(licenseOf(paymentIntentId)[0]).toMatchObject({ status: 'active', plan_id: 'plan_business' });
    await run(chargeRefunded(version, { chargeId, paymentIntentId, amount: 5000, amountRefunded: 1000, created: created + 100 }));
    expect(licenseOf(paymentIntentId)[0].status).toBe('active');
    await run(chargeRefunded(version, { chargeId, paymentIntentId, amount: 5000, amountRefunded: 5000, created: created + 200 }));
    expect(licenseOf(paymentIntentId)[0].status).toBe('revoked');
    expect(await templates()).toEqual(['license_delivered', 'revoked']);
  });
});

describe('basil and later: invoice webhooks do not carry invoice.payments', () => {
  const version: StripeApiVersion = '2026-07-29.dahlia';
  let h: ProcessorHarness;
  beforeEach(async () => { h = await startProcessorHarness(); });
  afterEach(async () => h.stop());

  async function run(...events: StripeEventJson[]): Promise<void> {
    for (const event of events) {
      await h.send(event);
      await h.drain();
    }
  }

  test('invoice_payment.paid links the payment to the subscription, so its dispute suspends the license and the won dispute reactivates it', async () => {
    const start = Math.floor(h.clock.nowMs() / 1000) - 10 * DAY;
    const subscriptionId = nextId('sub');
    const customerId = nextId('cus');
    const invoiceId = nextId('in');
    const paymentIntentId = nextId('pi');
    const chargeId = nextId('ch');
    const disputeId = nextId('dp');
    await run(
      checkoutCompleted(version, { mode: 'subscription', subscriptionId, customerId, email: 'basil@example.com', name: 'Basil', metadata: METADATA, created: start }),
      invoiceEvent(version, {
        type: 'invoice.paid', invoiceId, subscriptionId, customerId, billingReason: 'subscription_create', priceId: 'price_pro_monthly',
        periodStart: start, periodEnd: start + 30 * DAY, created: start + 1, paymentIntentId, paymentsIncluded: false,
      }),
      invoicePaymentPaid(version, { invoiceId, paymentIntentId, created: start + 2 }),
    );
    expect(await h.deadLetters()).toEqual([]);
    expect(await h.ledger.findPurchaseByPaymentRef(paymentIntentId)).toBe(subscriptionId);

    const disputeOf = (type: 'charge.dispute.created' | 'charge.dispute.closed', status: string, created: number) =>
      disputeEvent(version, { type, disputeId, chargeId, paymentIntentId, status, created });
    await run(disputeOf('charge.dispute.created', 'needs_response', start + 3 * DAY));
    expect(await h.deadLetters()).toEqual([]);
    expect(h.to.licenses().filter((l) => l.app_name === subscriptionId).map((l) => l.status)).toEqual(['suspended']);
    await run(disputeOf('charge.dispute.closed', 'won', start + 9 * DAY));
    expect(h.to.licenses().filter((l) => l.app_name === subscriptionId).map((l) => l.status)).toEqual(['active']);
    expect((await h.outbox()).map((email) => email.template)).toEqual(['license_delivered', 'suspended', 'reactivated']);
  });

  test('without invoice_payment.paid, a dispute on a subscription payment cannot be matched: it is retried, then dead-lettered as unknown_purchase', async () => {
    const start = Math.floor(h.clock.nowMs() / 1000) - 10 * DAY;
    const subscriptionId = nextId('sub');
    const paymentIntentId = nextId('pi');
    await run(
      checkoutCompleted(version, { mode: 'subscription', subscriptionId, customerId: 'cus_x', email: 'x@example.com', metadata: METADATA, created: start }),
      invoiceEvent(version, {
        type: 'invoice.paid', subscriptionId, customerId: 'cus_x', billingReason: 'subscription_create', priceId: 'price_pro_monthly',
        periodStart: start, periodEnd: start + 30 * DAY, created: start + 1, paymentIntentId, paymentsIncluded: false,
      }),
    );
    const dispute = disputeEvent(version, { type: 'charge.dispute.created', chargeId: nextId('ch'), paymentIntentId, status: 'needs_response', created: start + 3 * DAY });
    await run(dispute);
    const [letter] = await h.deadLetters();
    expect(JSON.parse(letter.Body as string).id).toBe(dispute.id);
    expect(await h.ledger.getFailure(dispute.id)).toMatchObject({ reason: 'unknown_purchase', retryable: true });
    expect(h.to.licenses().filter((l) => l.app_name === subscriptionId).map((l) => l.status)).toEqual(['active']);
  });
});
