/**
 * Contract with Stripe's own example objects (test/fixtures/stripe, unchanged copies from
 * stripe/openapi for 2025-02-24.acacia and 2026-07-29.dahlia): the parser reads their exact shapes,
 * and the test builders stay faithful to them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Stripe from 'stripe';
import { HANDLED_EVENT_TYPES, type ParsedStripeEvent, type HandledEventType } from '../../lambdas/domain/billing-event';
import { ProcessingError } from '../../lambdas/domain/errors';
import { parseEventEnvelope, parseStripeEvent } from '../../lambdas/stripe/parse-event';
import {
  billingEventProblems,
  chargeRefunded,
  checkoutCompleted,
  disputeEvent,
  invoiceEvent,
  loadFixture,
  nextId,
  resetIdCounter,
  signStripePayload,
  STRIPE_API_VERSIONS,
  STRIPE_FIXTURE_ROOT,
  subscriptionEvent,
  toPayload,
  wrapInEvent,
  type StripeApiVersion,
  type StripeFixtureName,
  type StripeObject,
} from '../support/stripe-events';

const ACACIA: StripeApiVersion = '2025-02-24.acacia';
const DAHLIA: StripeApiVersion = '2026-07-29.dahlia';
const T0 = 1_767_225_600;
const DAY = 24 * 3600;

/** The fixture README's table: which event types carry which object as `data.object`. */
const CARRIED_BY: Partial<Record<StripeFixtureName, HandledEventType[]>> = {
  'checkout.session': [
    'checkout.session.completed',
    'checkout.session.async_payment_succeeded',
    'checkout.session.async_payment_failed',
  ],
  subscription: [
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
  ],
  invoice: ['invoice.paid', 'invoice.payment_succeeded', 'invoice.payment_failed'],
  charge: ['charge.refunded'],
  dispute: ['charge.dispute.created', 'charge.dispute.closed'],
  invoice_payment: ['invoice_payment.paid'],
};

const ALL_FIXTURES: StripeFixtureName[] = [
  'charge',
  'checkout.session',
  'checkout_line_item',
  'customer',
  'dispute',
  'event',
  'invoice',
  'invoice_payment',
  'line_item',
  'payment_intent',
  'price',
  'refund',
  'subscription',
  'subscription_item',
];

type Outcome = { ok: true; event: ParsedStripeEvent } | { ok: false; error: ProcessingError };

function outcomeOf(raw: string): Outcome {
  try {
    return { ok: true, event: parseStripeEvent(raw) };
  } catch (error) {
    if (error instanceof ProcessingError) return { ok: false, error };
    throw error; // anything else (a TypeError) fails the test
  }
}

function parseFixtureAs(version: StripeApiVersion, type: HandledEventType, object: StripeObject): ParsedStripeEvent {
  const outcome = outcomeOf(toPayload(wrapInEvent(version, type, object, { created: T0, eventId: 'evt_contract' })));
  if (!outcome.ok) throw new Error(`expected ${type} over the ${version} fixture to parse: ${outcome.error.message}`);
  expect(billingEventProblems(outcome.event)).toEqual([]);
  return outcome.event;
}

const envelope = (version: StripeApiVersion, eventType: HandledEventType) => ({
  eventId: 'evt_contract',
  eventType,
  created: T0,
  livemode: false,
  apiVersion: version,
});

describe('the fixture copies', () => {
  it.each(STRIPE_API_VERSIONS)('%s holds every object the README lists, with its provenance', (version) => {
    for (const name of ALL_FIXTURES) {
      if (name === 'invoice_payment' && version === ACACIA) continue; // the object is new in basil
      expect(fs.existsSync(path.join(STRIPE_FIXTURE_ROOT, version, `${name}.json`))).toBe(true);
    }
    expect(fs.readFileSync(path.join(STRIPE_FIXTURE_ROOT, version, '_SOURCE.txt'), 'utf8')).toContain(version);
    expect(fs.existsSync(path.join(STRIPE_FIXTURE_ROOT, 'README.md'))).toBe(true);
  });

  it('the README table covers every handled event type', () => {
    expect(Object.values(CARRIED_BY).flat().sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
  });
});

describe('parser over the unmodified Stripe objects', () => {
  it.each(STRIPE_API_VERSIONS)('%s: every fixture under every handled type gives a well-formed event or a ProcessingError', (version) => {
    let parsed = 0;
    for (const name of ALL_FIXTURES) {
      if (name === 'invoice_payment' && version === ACACIA) continue;
      for (const type of HANDLED_EVENT_TYPES) {
        const outcome = outcomeOf(toPayload(wrapInEvent(version, type, loadFixture(version, name), { created: T0 })));
        if (outcome.ok) {
          parsed += 1;
          expect({ name, type, problems: billingEventProblems(outcome.event) }).toEqual({ name, type, problems: [] });
        } else {
          expect(outcome.error.reason).toBe('unsupported_payload_shape');
        }
      }
    }
    // Each object parses under the types that carry it (README table), and nothing else does
    // (acacia has no invoice_payment object: it is new in basil).
    const carried = Object.entries(CARRIED_BY).filter(([name]) => !(name === 'invoice_payment' && version === ACACIA));
    expect(parsed).toBe(carried.flatMap(([, types]) => types).length);
  });

  describe.each(STRIPE_API_VERSIONS)('%s checkout.session', (version) => {
    it.each(CARRIED_BY['checkout.session']!)('as %s', (type) => {
      const phase = { 'checkout.session.completed': 'completed', 'checkout.session.async_payment_succeeded': 'async_succeeded' }[type as string] ?? 'async_failed';
      expect(parseFixtureAs(version, type, loadFixture(version, 'checkout.session'))).toEqual({
        ...envelope(version, type),
        kind: 'checkout',
        phase,
        sessionId: 'cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY',
        mode: 'payment',
        paymentStatus: 'unpaid',
        purchaseId: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
        subscriptionId: null,
        paymentIntentId: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
        contact: { customerId: null, email: 'example@example.com', name: null },
        metadata: {},
      });
    });
  });

  it.each(CARRIED_BY.subscription!)('acacia subscription as %s: period end from subscription.current_period_end', (type) => {
    expect(parseFixtureAs(ACACIA, type, loadFixture(ACACIA, 'subscription'))).toEqual({
      ...envelope(ACACIA, type),
      kind: 'subscription',
      change: type.replace('customer.subscription.', ''),
      subscriptionId: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      customerId: 'cus_QXg1o8vcGmoR32',
      status: 'active',
      priceId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      currentPeriodEnd: 1234567890,
      cancelAtPeriodEnd: false,
      previousPriceId: null,
    });
  });

  it.each(CARRIED_BY.subscription!)('dahlia subscription as %s: period end from items.data[].current_period_end', (type) => {
    const fixture = loadFixture(DAHLIA, 'subscription');
    expect(fixture).not.toHaveProperty('current_period_end');
    expect(parseFixtureAs(DAHLIA, type, fixture)).toEqual({
      ...envelope(DAHLIA, type),
      kind: 'subscription',
      change: type.replace('customer.subscription.', ''),
      subscriptionId: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      customerId: 'cus_QXg1o8vcGmoR32',
      status: 'active',
      priceId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      currentPeriodEnd: 976287773,
      cancelAtPeriodEnd: true,
      previousPriceId: null,
    });
  });

  it.each(CARRIED_BY.invoice!)('acacia invoice as %s: invoice.subscription (null here), a one-off line', (type) => {
    expect(parseFixtureAs(ACACIA, type, loadFixture(ACACIA, 'invoice'))).toEqual({
      ...envelope(ACACIA, type),
      kind: 'invoice',
      outcome: type === 'invoice.payment_failed' ? 'payment_failed' : 'paid',
      invoiceId: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I',
      subscriptionId: null,
      customerId: 'cus_QXg1o8vcGmoR32',
      customerEmail: null,
      billingReason: 'manual',
      linePeriodEnd: 1721954054,
      linePriceId: null,
      attemptCount: 0,
      paymentIntentId: null,
      chargeId: null,
      hostedInvoiceUrl: null,
    });
  });

  it.each(CARRIED_BY.invoice!)('dahlia invoice as %s: subscription from parent.subscription_details', (type) => {
    expect(parseFixtureAs(DAHLIA, type, loadFixture(DAHLIA, 'invoice'))).toEqual({
      ...envelope(DAHLIA, type),
      kind: 'invoice',
      outcome: type === 'invoice.payment_failed' ? 'payment_failed' : 'paid',
      invoiceId: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I',
      subscriptionId: 'subscription',
      customerId: 'cus_QXg1o8vcGmoR32',
      customerEmail: null,
      billingReason: 'manual',
      // the line is a subscription line (parent.subscription_item_details); its pricing names no price
      linePeriodEnd: 1721954054,
      linePriceId: null,
      attemptCount: 0,
      paymentIntentId: null,
      chargeId: null,
      hostedInvoiceUrl: null,
    });
  });

  it.each(STRIPE_API_VERSIONS)('%s charge as charge.refunded', (version) => {
    expect(parseFixtureAs(version, 'charge.refunded', loadFixture(version, 'charge'))).toEqual({
      ...envelope(version, 'charge.refunded'),
      kind: 'refund',
      chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      paymentIntentId: null,
      fullyRefunded: false,
      amountRefunded: 0,
      amount: 100,
    });
  });

  describe.each(STRIPE_API_VERSIONS)('%s dispute', (version) => {
    it.each(CARRIED_BY.dispute!)('as %s', (type) => {
      expect(parseFixtureAs(version, type, loadFixture(version, 'dispute'))).toEqual({
        ...envelope(version, type),
        kind: 'dispute',
        phase: type === 'charge.dispute.created' ? 'created' : 'closed',
        disputeId: 'dp_1Pgc71B7WZ01zgkWMevJiAUx',
        chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
        paymentIntentId: null,
        status: 'warning_needs_response',
      });
    });
  });

  it('dahlia invoice_payment as invoice_payment.paid: the example names a payment type but no payment id, so there is nothing to link', () => {
    expect(parseFixtureAs(DAHLIA, 'invoice_payment.paid', loadFixture(DAHLIA, 'invoice_payment'))).toEqual({
      ...envelope(DAHLIA, 'invoice_payment.paid'),
      kind: 'no_purchase',
      reason: 'invoice payment obj_123 of invoice names no payment intent or charge (type payment_intent): nothing to link',
    });
    const withPayment = { ...loadFixture(DAHLIA, 'invoice_payment'), payment: { type: 'payment_intent', payment_intent: 'pi_1' } };
    expect(parseFixtureAs(DAHLIA, 'invoice_payment.paid', withPayment)).toEqual({
      ...envelope(DAHLIA, 'invoice_payment.paid'), kind: 'invoice_payment', invoiceId: 'invoice', paymentIntentId: 'pi_1', chargeId: null,
    });
  });

  it.each(STRIPE_API_VERSIONS)('%s event.json: the envelope of an unhandled type', (version) => {
    const raw = toPayload(loadFixture(version, 'event'));
    expect(parseEventEnvelope(raw)).toEqual({
      eventId: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
      eventType: 'plan.created',
      created: 1234567890,
      livemode: false,
      apiVersion: null,
    });
    const outcome = outcomeOf(raw);
    expect(outcome.ok).toBe(false);
  });
});

describe('parser over Stripe objects assembled from the sub-object fixtures', () => {
  it.each(STRIPE_API_VERSIONS)('%s invoice with the line_item fixture as its line', (version) => {
    const invoice = loadFixture(version, 'invoice');
    invoice.lines.data = [loadFixture(version, 'line_item')];
    const parsed = parseFixtureAs(version, 'invoice.paid', invoice);
    expect(parsed).toMatchObject({ linePeriodEnd: 1721954054, linePriceId: null });
  });

  it('dahlia invoice carrying the invoice_payment fixture: a payment without ids gives no references', () => {
    const invoice = loadFixture(DAHLIA, 'invoice');
    invoice.payments = { object: 'list', data: [loadFixture(DAHLIA, 'invoice_payment')], has_more: false, url: '/v1/invoice_payments' };
    expect(parseFixtureAs(DAHLIA, 'invoice.paid', invoice)).toMatchObject({ paymentIntentId: null, chargeId: null });

    invoice.payments.data[0].payment.payment_intent = 'pi_from_payments';
    expect(parseFixtureAs(DAHLIA, 'invoice.paid', invoice)).toMatchObject({ paymentIntentId: 'pi_from_payments' });
  });

  it('dahlia subscription with two subscription_item fixtures: the latest item period end wins', () => {
    const subscription = loadFixture(DAHLIA, 'subscription');
    const later = { ...loadFixture(DAHLIA, 'subscription_item'), current_period_end: 1999999999 };
    subscription.items.data = [loadFixture(DAHLIA, 'subscription_item'), later];
    expect(parseFixtureAs(DAHLIA, 'customer.subscription.updated', subscription)).toMatchObject({ currentPeriodEnd: 1999999999 });
  });

  it('acacia subscription: the subscription-level period end wins over anything on the items', () => {
    const subscription = loadFixture(ACACIA, 'subscription');
    subscription.items.data = [{ ...loadFixture(ACACIA, 'subscription_item'), current_period_end: 1999999999 }];
    expect(parseFixtureAs(ACACIA, 'customer.subscription.updated', subscription)).toMatchObject({ currentPeriodEnd: 1234567890 });
  });
});

describe('test builders stay faithful to the fixtures', () => {
  const keys = (object: StripeObject) => new Set(Object.keys(object));
  const diff = (built: StripeObject, fixture: StripeObject) => ({
    removed: [...keys(fixture)].filter((k) => !keys(built).has(k)).sort(),
    added: [...keys(built)].filter((k) => !keys(fixture).has(k)).sort(),
  });

  const invoiceOptions = {
    type: 'invoice.paid' as const,
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    billingReason: 'subscription_cycle',
    periodStart: T0,
    periodEnd: T0 + 30 * DAY,
    priceId: 'price_1',
    paymentIntentId: 'pi_1',
    chargeId: 'ch_1',
    created: T0,
  };

  it('acacia invoice: old shapes only', () => {
    const invoice = invoiceEvent(ACACIA, invoiceOptions).data.object;
    expect(diff(invoice, loadFixture(ACACIA, 'invoice'))).toEqual({ removed: [], added: [] });
    expect(invoice).not.toHaveProperty('parent');
    expect(invoice).not.toHaveProperty('payments');
    expect(invoice).toMatchObject({ subscription: 'sub_1', payment_intent: 'pi_1', charge: 'ch_1' });
    const line = invoice.lines.data[0];
    // acacia subscription lines name their subscription item; the fixture's one-off line has none.
    expect(diff(line, loadFixture(ACACIA, 'line_item'))).toEqual({ removed: [], added: ['subscription_item'] });
    expect(line).toMatchObject({ type: 'subscription', subscription: 'sub_1', price: { id: 'price_1' }, period: { start: T0, end: T0 + 30 * DAY } });
    expect(line).not.toHaveProperty('pricing');
    expect(line).not.toHaveProperty('parent');
  });

  it('dahlia invoice: new shapes only', () => {
    const invoice = invoiceEvent(DAHLIA, invoiceOptions).data.object;
    expect(diff(invoice, loadFixture(DAHLIA, 'invoice'))).toEqual({ removed: ['subscription'], added: ['payments'] });
    for (const removed of ['subscription', 'payment_intent', 'charge', 'paid', 'subscription_details']) {
      expect(invoice).not.toHaveProperty(removed);
    }
    expect(invoice.parent).toMatchObject({ type: 'subscription_details', subscription_details: { subscription: 'sub_1' } });
    // One invoice payment, built from the invoice_payment fixture; the payment intent wins over the charge.
    expect(invoice.payments.data).toHaveLength(1);
    expect(diff(invoice.payments.data[0], loadFixture(DAHLIA, 'invoice_payment'))).toEqual({ removed: [], added: [] });
    expect(invoice.payments.data[0].payment).toEqual({ type: 'payment_intent', payment_intent: 'pi_1' });
    const line = invoice.lines.data[0];
    expect(diff(line, loadFixture(DAHLIA, 'line_item'))).toEqual({ removed: [], added: [] });
    expect(line).not.toHaveProperty('price');
    expect(line).not.toHaveProperty('type');
    expect(line.pricing).toMatchObject({ type: 'price_details', price_details: { price: 'price_1' } });
    expect(line.parent).toMatchObject({ type: 'subscription_item_details', subscription_item_details: { subscription: 'sub_1', proration: false } });
  });

  it('dahlia invoice without payment references has no payments list', () => {
    const invoice = invoiceEvent(DAHLIA, { ...invoiceOptions, paymentIntentId: undefined, chargeId: undefined }).data.object;
    expect(invoice).not.toHaveProperty('payments');
  });

  it.each(STRIPE_API_VERSIONS)('%s subscription: the period where that version keeps it', (version) => {
    const event = subscriptionEvent(version, {
      type: 'customer.subscription.updated',
      subscriptionId: 'sub_1',
      customerId: 'cus_1',
      priceId: 'price_new',
      previousPriceId: 'price_old',
      periodEnd: T0 + 30 * DAY,
      created: T0,
    });
    const subscription = event.data.object;
    expect(diff(subscription, loadFixture(version, 'subscription'))).toEqual({ removed: [], added: [] });
    const item = subscription.items.data[0];
    expect(diff(item, loadFixture(version, 'subscription_item'))).toEqual({ removed: [], added: [] });
    expect(item.price.id).toBe('price_new');
    expect(event.data.previous_attributes?.items.data[0].price.id).toBe('price_old');
    if (version === ACACIA) {
      expect(subscription.current_period_end).toBe(T0 + 30 * DAY);
      expect(item).not.toHaveProperty('current_period_end');
    } else {
      expect(subscription).not.toHaveProperty('current_period_end');
      expect(item.current_period_end).toBe(T0 + 30 * DAY);
    }
  });

  it.each(STRIPE_API_VERSIONS)('%s checkout, dispute and charge keep the fixture keys', (version) => {
    const session = checkoutCompleted(version, { mode: 'subscription', customerId: 'cus_1', email: 'a@example.com', created: T0 }).data.object;
    expect(diff(session, loadFixture(version, 'checkout.session'))).toEqual({ removed: [], added: [] });
    const dispute = disputeEvent(version, { type: 'charge.dispute.created', chargeId: 'ch_1', paymentIntentId: 'pi_1', status: 'needs_response', created: T0 }).data.object;
    expect(diff(dispute, loadFixture(version, 'dispute'))).toEqual({ removed: [], added: [] });
    const charge = chargeRefunded(version, { chargeId: 'ch_1', paymentIntentId: 'pi_1', amount: 100, amountRefunded: 100, created: T0 }).data.object;
    expect(diff(charge, loadFixture(version, 'charge'))).toEqual({ removed: [], added: [] });
  });

  it.each(STRIPE_API_VERSIONS)('%s envelope: the event.json keys, this version, the scenario fields', (version) => {
    const event = checkoutCompleted(version, { mode: 'payment', customerId: 'cus_1', email: 'a@example.com', created: T0, livemode: true });
    expect(diff(event, loadFixture(version, 'event'))).toEqual({ removed: [], added: [] });
    expect(event).toMatchObject({ object: 'event', type: 'checkout.session.completed', api_version: version, created: T0, livemode: true });
    expect(event.id).toMatch(/^evt_/);
    expect(event.data.object.livemode).toBe(true);
  });

  it('refuses customer_account for acacia, which predates it', () => {
    expect(() => checkoutCompleted(ACACIA, { mode: 'payment', customerId: null, customerAccountId: 'acct_1', email: null, created: T0 })).toThrow(/customer_account/);
  });

  it('deterministic ids', () => {
    resetIdCounter();
    expect([nextId('evt'), nextId('sub'), nextId('evt')]).toEqual(['evt_test000001', 'sub_test000002', 'evt_test000003']);
    resetIdCounter();
    expect(nextId('evt')).toBe('evt_test000001');
  });
});

describe('signStripePayload', () => {
  const secret = 'whsec_test_contract';
  const payload = toPayload(checkoutCompleted(DAHLIA, { mode: 'payment', customerId: 'cus_1', email: 'a@example.com', created: T0 }));
  // constructEvent's receivedAt is in milliseconds; the header's t= is in seconds.
  const verify = (header: string, key: string, receivedAtSeconds: number, body = payload) =>
    Stripe.webhooks.constructEvent(body, header, key, 300, undefined, receivedAtSeconds * 1000);

  it('produces a header the stripe library accepts for that secret and time', () => {
    const header = signStripePayload(payload, secret, T0);
    expect(header).toMatch(new RegExp(`^t=${T0},v1=[0-9a-f]{64}$`));
    const event = verify(header, secret, T0 + 10);
    expect(event.id).toBe(JSON.parse(payload).id);
  });

  it('is rejected for another secret, another body, or outside the 300 s tolerance', () => {
    const header = signStripePayload(payload, secret, T0);
    expect(() => verify(header, 'whsec_other', T0)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => verify(header, secret, T0, payload.replace('cus_1', 'cus_2'))).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => verify(header, secret, T0 + 300)).not.toThrow();
    expect(() => verify(header, secret, T0 + 301)).toThrow(/tolerance/i);
  });

  it('defaults to the current time', () => {
    const before = Math.floor(Date.now() / 1000);
    const timestamp = Number(/^t=(\d+),/.exec(signStripePayload(payload, secret))![1]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(before + 60);
  });
});
