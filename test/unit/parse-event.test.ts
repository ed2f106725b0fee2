/**
 * parseStripeEvent / parseEventEnvelope over realistic events of both fixture API versions
 * (2025-02-24.acacia: old shapes, 2026-07-29.dahlia: basil+ shapes), malformed input, and an
 * exhaustive single-field mutation sweep proving that bad input only ever yields ProcessingError.
 */
import {
  HANDLED_EVENT_TYPES,
  type ParsedStripeEvent,
  type CheckoutEvent,
  type DisputeEvent,
  type InvoiceEvent,
  type RefundEvent,
  type SubscriptionEvent,
} from '../../lambdas/domain/billing-event';
import { ProcessingError, type FailureReason } from '../../lambdas/domain/errors';
import { parseEventEnvelope, parseStripeEvent } from '../../lambdas/stripe/parse-event';
import {
  billingEventProblems,
  chargeRefunded,
  checkoutCompleted,
  disputeEvent,
  invoiceEvent,
  invoicePaymentPaid,
  loadFixture,
  STRIPE_API_VERSIONS,
  subscriptionEvent,
  toPayload,
  wrapInEvent,
  type StripeApiVersion,
  type StripeEventJson,
  type StripeObject,
} from '../support/stripe-events';

const DAY = 24 * 3600;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const ACACIA: StripeApiVersion = '2025-02-24.acacia';
const DAHLIA: StripeApiVersion = '2026-07-29.dahlia';

type Kind = ParsedStripeEvent['kind'];
type EventOfKind<K extends Kind> = Extract<ParsedStripeEvent, { kind: K }>;

function parse(event: StripeEventJson | StripeObject): ParsedStripeEvent {
  return parseStripeEvent(toPayload(event));
}

function parseAs<K extends Kind>(event: StripeEventJson | StripeObject, kind: K): EventOfKind<K> {
  const parsed = parse(event);
  expect(parsed.kind).toBe(kind);
  return parsed as EventOfKind<K>;
}

/** The ProcessingError `run` throws; any other outcome (a TypeError, no throw) fails the test. */
function processingErrorOf(run: () => unknown): ProcessingError {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof ProcessingError) return error;
    throw error;
  }
  throw new Error(`expected a ProcessingError, got a result: ${JSON.stringify(result)}`);
}

function expectFailure(event: StripeEventJson | StripeObject, reason: FailureReason, path: RegExp | string): void {
  const error = processingErrorOf(() => parse(event));
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(path);
}

// ---------------------------------------------------------------------------------------------
// Scenario builders, identical options for both versions.

const checkoutSubscription = (version: StripeApiVersion, eventId = 'evt_checkout') =>
  checkoutCompleted(version, {
    eventId,
    sessionId: 'cs_test_1',
    mode: 'subscription',
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    metadata: { to_product_id: 'prod_to', to_license_tier: 'pro', to_max_domains: '5', unrelated: 'x' },
    created: T0,
  });

const checkoutPayment = (version: StripeApiVersion, eventId = 'evt_checkout_payment') =>
  checkoutCompleted(version, {
    eventId,
    sessionId: 'cs_test_2',
    mode: 'payment',
    paymentIntentId: 'pi_1',
    customerId: 'cus_2',
    email: 'grace@example.com',
    metadata: { to_product_id: 'prod_to', to_license_tier: 'lifetime' },
    created: T0,
    livemode: true,
  });

const subscriptionUpdated = (version: StripeApiVersion, eventId = 'evt_sub_updated') =>
  subscriptionEvent(version, {
    eventId,
    type: 'customer.subscription.updated',
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    priceId: 'price_annual',
    previousPriceId: 'price_monthly',
    periodStart: T0,
    periodEnd: T0 + 365 * DAY,
    cancelAtPeriodEnd: true,
    created: T0 + 60,
  });

const invoiceCycle = (version: StripeApiVersion, eventId = 'evt_invoice_paid') =>
  invoiceEvent(version, {
    eventId,
    type: 'invoice.paid',
    invoiceId: 'in_1',
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    customerEmail: 'ada@example.com',
    billingReason: 'subscription_cycle',
    periodStart: T0 + 30 * DAY,
    periodEnd: T0 + 60 * DAY,
    priceId: 'price_monthly',
    paymentIntentId: 'pi_9',
    hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_1',
    created: T0 + 30 * DAY + 10,
  });

const disputeCreated = (version: StripeApiVersion, eventId = 'evt_dispute') =>
  disputeEvent(version, {
    eventId,
    type: 'charge.dispute.created',
    disputeId: 'dp_1',
    chargeId: 'ch_1',
    paymentIntentId: 'pi_1',
    status: 'needs_response',
    created: T0,
  });

const refundFull = (version: StripeApiVersion, eventId = 'evt_refund') =>
  chargeRefunded(version, { eventId, chargeId: 'ch_1', paymentIntentId: 'pi_1', amount: 2000, amountRefunded: 2000, created: T0 });

const SCENARIOS: Record<string, (version: StripeApiVersion) => StripeEventJson> = {
  'checkout (subscription)': checkoutSubscription,
  'checkout (payment)': checkoutPayment,
  'subscription updated': subscriptionUpdated,
  'invoice paid': invoiceCycle,
  'dispute created': disputeCreated,
  'charge refunded': refundFull,
};

// ---------------------------------------------------------------------------------------------

describe('parseEventEnvelope', () => {
  it('reads the envelope of a handled event', () => {
    expect(parseEventEnvelope(toPayload(checkoutPayment(DAHLIA)))).toEqual({
      eventId: 'evt_checkout_payment',
      eventType: 'checkout.session.completed',
      created: T0,
      livemode: true,
      apiVersion: DAHLIA,
    });
  });

  it('accepts an event type the service does not handle (ingest answers it "ignored")', () => {
    // Stripe's own example event: a plan.created with api_version null.
    expect(parseEventEnvelope(toPayload(loadFixture(ACACIA, 'event')))).toEqual({
      eventId: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
      eventType: 'plan.created',
      created: 1234567890,
      livemode: false,
      apiVersion: null,
    });
  });

  const valid = (): StripeObject => checkoutPayment(ACACIA) as StripeObject;
  const withChange = (change: (event: StripeObject) => void): string => {
    const event = valid();
    change(event);
    return toPayload(event);
  };

  it.each<[string, string, RegExp]>([
    ['invalid JSON', '{"id": "evt_1", ', /not valid JSON/],
    ['an empty body', '', /not valid JSON/],
    ['JSON null', 'null', /not a JSON object/],
    ['a JSON array', '[{"id":"evt_1"}]', /not a JSON object/],
    ['a JSON number', '42', /not a JSON object/],
    ['a JSON string', '"evt_1"', /not a JSON object/],
    ['no id', withChange((e) => delete e.id), /^id /],
    ['an empty id', withChange((e) => (e.id = '')), /^id /],
    ['a numeric id', withChange((e) => (e.id = 12)), /^id /],
    ['no type', withChange((e) => delete e.type), /^type /],
    ['no created', withChange((e) => delete e.created), /^created /],
    ['created as a string', withChange((e) => (e.created = String(T0))), /^created /],
    ['created in milliseconds with a fraction', withChange((e) => (e.created = T0 + 0.5)), /^created /],
    ['a negative created', withChange((e) => (e.created = -1)), /^created /],
    ['no livemode', withChange((e) => delete e.livemode), /^livemode /],
    ['livemode as a string', withChange((e) => (e.livemode = 'false')), /^livemode /],
    ['no data', withChange((e) => delete e.data), /^data /],
    ['data.object missing', withChange((e) => delete e.data.object), /^data\.object /],
    ['data.object a string', withChange((e) => (e.data.object = 'cs_1')), /^data\.object /],
    ['data.object an array', withChange((e) => (e.data.object = [])), /^data\.object /],
    ['an api_version that is not a string', withChange((e) => (e.api_version = 20250224)), /^api_version /],
    ['a bare Stripe object instead of an event', toPayload(loadFixture(ACACIA, 'charge')), /^object /],
  ])('rejects %s as unparseable_event', (_label, raw, message) => {
    for (const parseRaw of [parseEventEnvelope, parseStripeEvent]) {
      const error = processingErrorOf(() => parseRaw(raw));
      expect(error.reason).toBe('unparseable_event');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(message);
    }
  });

  it('tolerates an envelope without the `object` marker', () => {
    const event = valid();
    delete event.object;
    expect(parseEventEnvelope(toPayload(event)).eventId).toBe('evt_checkout_payment');
  });
});

describe('parseStripeEvent: event types', () => {
  it('refuses an unhandled type, naming it', () => {
    const error = processingErrorOf(() => parseStripeEvent(toPayload(loadFixture(DAHLIA, 'event'))));
    expect(error.reason).toBe('unsupported_payload_shape');
    expect(error.message).toMatch(/"plan\.created"/);
  });

  it('refuses a handled type that carries the wrong object', () => {
    const event = wrapInEvent(DAHLIA, 'invoice.paid', loadFixture(DAHLIA, 'charge'), { created: T0 });
    expectFailure(event, 'unsupported_payload_shape', /data\.object\.object is "charge", but invoice\.paid carries "invoice"/);
  });

  it('names the event in shape errors, for the DLQ record', () => {
    const event = checkoutSubscription(ACACIA, 'evt_named');
    event.data.object.subscription = null;
    expectFailure(event, 'unsupported_payload_shape', /^checkout\.session\.completed evt_named: data\.object\.subscription/);
  });
});

describe.each(STRIPE_API_VERSIONS)('parseStripeEvent with %s payloads', (version) => {
  describe('checkout.session.*', () => {
    it('subscription mode: the purchase is the subscription', () => {
      expect(parse(checkoutSubscription(version))).toEqual<CheckoutEvent>({
        kind: 'checkout',
        eventId: 'evt_checkout',
        eventType: 'checkout.session.completed',
        created: T0,
        livemode: false,
        apiVersion: version,
        phase: 'completed',
        sessionId: 'cs_test_1',
        mode: 'subscription',
        paymentStatus: 'paid',
        purchaseId: 'sub_1',
        subscriptionId: 'sub_1',
        paymentIntentId: null,
        contact: { customerId: 'cus_1', email: 'ada@example.com', name: 'Ada Lovelace' },
        metadata: { productId: 'prod_to', tier: 'pro', maxDomains: '5' },
      });
    });

    it('payment mode: the purchase is the payment intent', () => {
      const parsed = parseAs(checkoutPayment(version), 'checkout');
      expect(parsed).toMatchObject({ mode: 'payment', purchaseId: 'pi_1', paymentIntentId: 'pi_1', subscriptionId: null, livemode: true });
      expect(parsed.metadata).toEqual({ productId: 'prod_to', tier: 'lifetime' });
      expect(parsed.contact).toEqual({ customerId: 'cus_2', email: 'grace@example.com', name: null });
    });

    it.each<[CheckoutEvent['phase'], string, CheckoutEvent['paymentStatus']]>([
      ['completed', 'checkout.session.completed', 'paid'],
      ['async_succeeded', 'checkout.session.async_payment_succeeded', 'paid'],
      ['async_failed', 'checkout.session.async_payment_failed', 'unpaid'],
    ])('phase %s comes from %s', (phase, type, paymentStatus) => {
      const event = checkoutCompleted(version, { phase, mode: 'payment', customerId: 'cus_1', email: 'a@example.com', created: T0 });
      expect(event.type).toBe(type);
      expect(parseAs(event, 'checkout')).toMatchObject({ phase, eventType: type, paymentStatus });
    });

    it('keeps an unpaid completed session unpaid (async payment methods)', () => {
      const event = checkoutCompleted(version, { mode: 'subscription', customerId: 'cus_1', email: 'a@example.com', paymentStatus: 'unpaid', created: T0 });
      expect(parseAs(event, 'checkout').paymentStatus).toBe('unpaid');
    });

    it('reads expanded subscription, payment intent and customer objects by id', () => {
      const sub = checkoutSubscription(version);
      sub.data.object.subscription = { ...loadFixture(version, 'subscription'), id: 'sub_expanded' };
      sub.data.object.customer = { ...loadFixture(version, 'customer'), id: 'cus_expanded' };
      expect(parseAs(sub, 'checkout')).toMatchObject({ purchaseId: 'sub_expanded', subscriptionId: 'sub_expanded', contact: { customerId: 'cus_expanded' } });

      const pay = checkoutPayment(version);
      pay.data.object.payment_intent = { ...loadFixture(version, 'payment_intent'), id: 'pi_expanded' };
      expect(parseAs(pay, 'checkout').purchaseId).toBe('pi_expanded');
    });

    it('takes the e-mail from customer_email when customer_details has none', () => {
      const event = checkoutSubscription(version);
      event.data.object.customer_details.email = null;
      event.data.object.customer_email = 'prefilled@example.com';
      expect(parseAs(event, 'checkout').contact.email).toBe('prefilled@example.com');

      event.data.object.customer_details = null;
      expect(parseAs(event, 'checkout').contact).toEqual({ customerId: 'cus_1', email: 'prefilled@example.com', name: null });
    });

    it('prefers what the buyer typed (customer_details) over the prefilled customer_email', () => {
      const event = checkoutSubscription(version);
      event.data.object.customer_email = 'prefilled@example.com';
      expect(parseAs(event, 'checkout').contact.email).toBe('ada@example.com');
    });

    it('reports a missing e-mail as null (the lifecycle names the failure)', () => {
      const event = checkoutCompleted(version, { mode: 'subscription', customerId: 'cus_1', email: null, created: T0 });
      expect(parseAs(event, 'checkout').contact.email).toBeNull();
    });

    it('leaves absent license metadata absent', () => {
      const event = checkoutCompleted(version, { mode: 'subscription', customerId: 'cus_1', email: 'a@example.com', created: T0 });
      expect(parseAs(event, 'checkout').metadata).toEqual({});
      event.data.object.metadata = null;
      expect(parseAs(event, 'checkout').metadata).toEqual({});
    });

    it('reads a setup-mode session as no purchase (it saves a payment method; nothing was bought), not as a failure', () => {
      const event = checkoutSubscription(version);
      event.data.object.mode = 'setup';
      event.data.object.subscription = null;
      event.data.object.setup_intent = 'seti_1';
      expect(parseAs(event, 'no_purchase')).toEqual({
        kind: 'no_purchase', eventId: event.id, eventType: 'checkout.session.completed', created: event.created, livemode: false, apiVersion: version,
        reason: `setup-mode Checkout Session ${event.data.object.id}: saves a payment method, nothing was bought`,
      });
    });

    it('refuses a session of a mode Stripe may add later', () => {
      const event = checkoutSubscription(version);
      event.data.object.mode = 'installments';
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.mode is "installments"/);
    });

    it('refuses a subscription checkout without a subscription id', () => {
      const event = checkoutSubscription(version);
      event.data.object.subscription = null;
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.subscription is missing/);
    });

    it('refuses a payment checkout without a payment intent id', () => {
      const event = checkoutPayment(version);
      delete event.data.object.payment_intent;
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.payment_intent is missing/);
    });

    it.each<[string, (session: StripeObject) => void, RegExp]>([
      ['no mode', (s) => delete s.mode, /data\.object\.mode must be a non-empty string, but is missing/],
      ['an unknown payment_status', (s) => (s.payment_status = 'refunded'), /data\.object\.payment_status is "refunded"/],
      ['no session id', (s) => delete s.id, /data\.object\.id /],
      ['an expanded subscription without id', (s) => (s.subscription = { object: 'subscription' }), /data\.object\.subscription\.id /],
      ['a numeric customer', (s) => (s.customer = 42), /data\.object\.customer must be an id string or an expanded object, but is a number/],
      ['a non-string metadata value', (s) => (s.metadata = { to_license_tier: 3 }), /data\.object\.metadata\.to_license_tier /],
      ['customer_details as a string', (s) => (s.customer_details = 'ada@example.com'), /data\.object\.customer_details /],
    ])('refuses %s, naming the field', (_label, change, message) => {
      const event = checkoutSubscription(version);
      change(event.data.object);
      expectFailure(event, 'unsupported_payload_shape', message);
    });
  });

  describe('customer.subscription.*', () => {
    it('reads price, period end, cancel flag and the previous price of an update', () => {
      expect(parse(subscriptionUpdated(version))).toEqual<SubscriptionEvent>({
        kind: 'subscription',
        eventId: 'evt_sub_updated',
        eventType: 'customer.subscription.updated',
        created: T0 + 60,
        livemode: false,
        apiVersion: version,
        change: 'updated',
        subscriptionId: 'sub_1',
        customerId: 'cus_1',
        status: 'active',
        priceId: 'price_annual',
        currentPeriodEnd: T0 + 365 * DAY,
        cancelAtPeriodEnd: true,
        previousPriceId: 'price_monthly',
      });
    });

    it.each<[SubscriptionEvent['change'], string]>([
      ['created', 'active'],
      ['updated', 'active'],
      ['deleted', 'canceled'],
      ['paused', 'paused'],
      ['resumed', 'active'],
    ])('change %s carries status %s', (change, status) => {
      const type = `customer.subscription.${change}` as const;
      const event = subscriptionEvent(version, { type, subscriptionId: 'sub_1', customerId: 'cus_1', priceId: 'price_1', periodEnd: T0, created: T0 });
      expect(parseAs(event, 'subscription')).toMatchObject({ change, status, eventType: type, previousPriceId: null, cancelAtPeriodEnd: false });
    });

    it('reports no previous price when previous_attributes does not touch the items', () => {
      const event = subscriptionEvent(version, {
        type: 'customer.subscription.updated',
        subscriptionId: 'sub_1',
        customerId: 'cus_1',
        priceId: 'price_1',
        periodEnd: T0,
        previousAttributes: { status: 'past_due' },
        created: T0,
      });
      expect(event.data.previous_attributes).toEqual({ status: 'past_due' });
      expect(parseAs(event, 'subscription').previousPriceId).toBeNull();
    });

    it('reads an expanded customer and an expanded price', () => {
      const event = subscriptionUpdated(version);
      event.data.object.customer = { ...loadFixture(version, 'customer'), id: 'cus_expanded' };
      expect(typeof event.data.object.items.data[0].price).toBe('object'); // prices always arrive expanded
      expect(parseAs(event, 'subscription').customerId).toBe('cus_expanded');
    });

    it('reports no price and no period for a subscription without items', () => {
      const event = subscriptionUpdated(version);
      event.data.object.items.data = [];
      delete event.data.object.current_period_end;
      expect(parseAs(event, 'subscription')).toMatchObject({ priceId: null, currentPeriodEnd: null });
    });

    it('refuses a subscription without an items list, naming it', () => {
      const event = subscriptionUpdated(version);
      delete event.data.object.items;
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.items must be an object, but is missing/);
    });

    it('refuses a non-numeric period end', () => {
      const event = subscriptionUpdated(version);
      const holder = version === ACACIA ? event.data.object : event.data.object.items.data[0];
      holder.current_period_end = '2027-01-01';
      expectFailure(event, 'unsupported_payload_shape', /current_period_end must be a number or null, but is a string/);
    });
  });

  describe('invoice.*', () => {
    it('reads a renewal: subscription, the paid line, payment references', () => {
      expect(parse(invoiceCycle(version))).toEqual<InvoiceEvent>({
        kind: 'invoice',
        eventId: 'evt_invoice_paid',
        eventType: 'invoice.paid',
        created: T0 + 30 * DAY + 10,
        livemode: false,
        apiVersion: version,
        outcome: 'paid',
        invoiceId: 'in_1',
        subscriptionId: 'sub_1',
        customerId: 'cus_1',
        customerEmail: 'ada@example.com',
        billingReason: 'subscription_cycle',
        linePeriodEnd: T0 + 60 * DAY,
        linePriceId: 'price_monthly',
        attemptCount: 1,
        paymentIntentId: 'pi_9',
        chargeId: null,
        hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_1',
      });
    });

    it('takes the period from the paid line, not from the invoice (which names the period that ended)', () => {
      const event = invoiceCycle(version);
      expect(event.data.object.period_end).toBe(T0 + 30 * DAY);
      expect(parseAs(event, 'invoice').linePeriodEnd).toBe(T0 + 60 * DAY);
    });

    it.each<[InvoiceEvent['outcome'], 'invoice.paid' | 'invoice.payment_succeeded' | 'invoice.payment_failed']>([
      ['paid', 'invoice.paid'],
      ['paid', 'invoice.payment_succeeded'],
      ['payment_failed', 'invoice.payment_failed'],
    ])('outcome %s from %s', (outcome, type) => {
      const event = invoiceEvent(version, {
        type,
        subscriptionId: 'sub_1',
        customerId: 'cus_1',
        billingReason: 'subscription_cycle',
        periodStart: T0,
        periodEnd: T0 + 30 * DAY,
        priceId: 'price_1',
        attemptCount: 3,
        created: T0,
      });
      expect(parseAs(event, 'invoice')).toMatchObject({ outcome, attemptCount: 3, paymentIntentId: null, chargeId: null });
    });

    it('reads a charge-only payment reference', () => {
      const event = invoiceEvent(version, {
        type: 'invoice.paid',
        subscriptionId: 'sub_1',
        customerId: 'cus_1',
        billingReason: 'subscription_create',
        periodStart: T0,
        periodEnd: T0 + 30 * DAY,
        priceId: 'price_1',
        chargeId: 'ch_only',
        created: T0,
      });
      expect(parseAs(event, 'invoice')).toMatchObject({ chargeId: 'ch_only', paymentIntentId: null, billingReason: 'subscription_create' });
    });

    it('reads an expanded subscription reference', () => {
      const event = invoiceCycle(version);
      const expanded = { ...loadFixture(version, 'subscription'), id: 'sub_expanded' };
      if (version === ACACIA) event.data.object.subscription = expanded;
      else event.data.object.parent.subscription_details.subscription = expanded;
      expect(parseAs(event, 'invoice').subscriptionId).toBe('sub_expanded');
    });

    it('finds the subscription line among one-off lines', () => {
      const event = invoiceCycle(version);
      const oneOff: StripeObject = { ...loadFixture(version, 'line_item'), id: 'il_setup_fee', period: { start: T0, end: T0 + 400 * DAY } };
      if (version === DAHLIA) oneOff.parent = { type: 'invoice_item_details', invoice_item_details: { invoice_item: 'ii_1', proration: false, proration_details: null, subscription: null }, subscription_item_details: null };
      event.data.object.lines.data.unshift(oneOff);
      expect(parseAs(event, 'invoice')).toMatchObject({ linePeriodEnd: T0 + 60 * DAY, linePriceId: 'price_monthly' });
    });

    it('plan change with a new interval: the regular line for the new period wins over the proration credit', () => {
      const event = invoiceCycle(version);
      const lines = event.data.object.lines.data;
      const annual = lines[0];
      setLine(version, annual, { priceId: 'price_annual', start: T0 + 10 * DAY, end: T0 + 375 * DAY, amount: 20000, proration: false });
      const credit = structuredClone(annual);
      setLine(version, credit, { priceId: 'price_monthly', start: T0 + 10 * DAY, end: T0 + 30 * DAY, amount: -1300, proration: true });
      event.data.object.lines.data = [credit, annual];
      event.data.object.billing_reason = 'subscription_update';
      expect(parseAs(event, 'invoice')).toMatchObject({ linePeriodEnd: T0 + 375 * DAY, linePriceId: 'price_annual', billingReason: 'subscription_update' });
    });

    it.each([false, true])('plan change within the period (credit first: %s): the charged proration names the new price', (creditFirst) => {
      const event = invoiceCycle(version);
      const charge = event.data.object.lines.data[0];
      setLine(version, charge, { priceId: 'price_pro', start: T0 + 10 * DAY, end: T0 + 30 * DAY, amount: 1500, proration: true });
      const credit = structuredClone(charge);
      setLine(version, credit, { priceId: 'price_basic', start: T0 + 10 * DAY, end: T0 + 30 * DAY, amount: -700, proration: true });
      event.data.object.lines.data = creditFirst ? [credit, charge] : [charge, credit];
      expect(parseAs(event, 'invoice')).toMatchObject({ linePeriodEnd: T0 + 30 * DAY, linePriceId: 'price_pro' });
    });

    it('falls back to the latest line period when no line belongs to a subscription', () => {
      const event = invoiceCycle(version);
      const a: StripeObject = { ...loadFixture(version, 'line_item'), period: { start: T0, end: T0 + 5 * DAY } };
      const b: StripeObject = { ...loadFixture(version, 'line_item'), period: { start: T0, end: T0 + 9 * DAY } };
      if (version === DAHLIA) for (const line of [a, b]) line.parent = { type: 'invoice_item_details', invoice_item_details: { invoice_item: 'ii_1', proration: false, proration_details: null, subscription: null }, subscription_item_details: null };
      event.data.object.lines.data = [b, a];
      event.data.object.billing_reason = 'manual';
      expect(parseAs(event, 'invoice')).toMatchObject({ linePeriodEnd: T0 + 9 * DAY, linePriceId: null, subscriptionId: 'sub_1' });
    });

    it('reports no hosted invoice URL when Stripe sends none', () => {
      const event = invoiceCycle(version);
      event.data.object.hosted_invoice_url = null;
      expect(parseAs(event, 'invoice').hostedInvoiceUrl).toBeNull();
    });

    it.each<[string, (invoice: StripeObject) => void, RegExp]>([
      ['no lines at all', (i) => delete i.lines, /data\.object\.lines must be an object, but is missing/],
      ['an empty lines list', (i) => (i.lines.data = []), /data\.object\.lines\.data is empty/],
      ['lines.data not a list', (i) => (i.lines.data = {}), /data\.object\.lines\.data must be an array/],
      ['a line that is not an object', (i) => i.lines.data.push('il_1'), /data\.object\.lines\.data\[1\] must be an object/],
      ['a subscription line without a period', (i) => delete i.lines.data[0].period, /data\.object\.lines\.data\[0\]\.period must be an object, but is missing/],
      ['a period end that is not a number', (i) => (i.lines.data[0].period.end = null), /data\.object\.lines\.data\[0\]\.period\.end must be a number, but is null/],
      ['no invoice id', (i) => delete i.id, /data\.object\.id /],
    ])('refuses %s, naming the field', (_label, change, message) => {
      const event = invoiceCycle(version);
      change(event.data.object);
      expectFailure(event, 'unsupported_payload_shape', message);
    });
  });

  describe('charge.dispute.*', () => {
    it('reads a dispute', () => {
      expect(parse(disputeCreated(version))).toEqual<DisputeEvent>({
        kind: 'dispute',
        eventId: 'evt_dispute',
        eventType: 'charge.dispute.created',
        created: T0,
        livemode: false,
        apiVersion: version,
        phase: 'created',
        disputeId: 'dp_1',
        chargeId: 'ch_1',
        paymentIntentId: 'pi_1',
        status: 'needs_response',
      });
    });

    it.each(['won', 'lost', 'warning_closed'])('reads a closed dispute with status %s', (status) => {
      const event = disputeEvent(version, { type: 'charge.dispute.closed', chargeId: 'ch_1', paymentIntentId: null, status, created: T0 });
      expect(parseAs(event, 'dispute')).toMatchObject({ phase: 'closed', status, paymentIntentId: null });
    });

    it('reads an expanded charge', () => {
      const event = disputeCreated(version);
      event.data.object.charge = { ...loadFixture(version, 'charge'), id: 'ch_expanded' };
      expect(parseAs(event, 'dispute').chargeId).toBe('ch_expanded');
    });

    it('refuses a dispute without a charge', () => {
      const event = disputeCreated(version);
      event.data.object.charge = null;
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.charge must be an id string or an expanded object, but is null/);
    });
  });

  describe('charge.refunded', () => {
    it('reads a full refund', () => {
      expect(parse(refundFull(version))).toEqual<RefundEvent>({
        kind: 'refund',
        eventId: 'evt_refund',
        eventType: 'charge.refunded',
        created: T0,
        livemode: false,
        apiVersion: version,
        chargeId: 'ch_1',
        paymentIntentId: 'pi_1',
        fullyRefunded: true,
        amountRefunded: 2000,
        amount: 2000,
      });
    });

    it('reads a partial refund as not fully refunded', () => {
      const event = chargeRefunded(version, { chargeId: 'ch_1', paymentIntentId: null, amount: 2000, amountRefunded: 500, created: T0 });
      expect(parseAs(event, 'refund')).toMatchObject({ fullyRefunded: false, amountRefunded: 500, amount: 2000, paymentIntentId: null });
    });

    it('refuses a charge without the refunded flag rather than guess "partial"', () => {
      const event = refundFull(version);
      delete event.data.object.refunded;
      expectFailure(event, 'unsupported_payload_shape', /data\.object\.refunded must be a boolean, but is missing/);
    });
  });
});

describe('one meaning, one shape: both API versions normalize to the same event', () => {
  it.each(Object.entries(SCENARIOS))('%s', (_name, build) => {
    const [acacia, dahlia] = STRIPE_API_VERSIONS.map((version) => parse(build(version)));
    expect(acacia.apiVersion).toBe(ACACIA);
    expect(dahlia.apiVersion).toBe(DAHLIA);
    expect({ ...dahlia, apiVersion: null }).toEqual({ ...acacia, apiVersion: null });
  });
});

describe('dahlia: Accounts v2 customers (customer null, customer_account set)', () => {
  it('checkout contact uses customer_account', () => {
    const event = checkoutCompleted(DAHLIA, { mode: 'subscription', customerId: null, customerAccountId: 'acct_v2_1', email: 'a@example.com', created: T0 });
    expect(parseAs(event, 'checkout').contact.customerId).toBe('acct_v2_1');
  });

  it('invoice customer uses customer_account', () => {
    const event = invoiceEvent(DAHLIA, {
      type: 'invoice.payment_failed',
      subscriptionId: 'sub_1',
      customerId: null,
      customerAccountId: 'acct_v2_1',
      billingReason: 'subscription_cycle',
      periodStart: T0,
      periodEnd: T0 + 30 * DAY,
      priceId: 'price_1',
      created: T0,
    });
    expect(parseAs(event, 'invoice').customerId).toBe('acct_v2_1');
  });

  it('a customer id still wins when both are set', () => {
    const event = checkoutCompleted(DAHLIA, { mode: 'payment', customerId: 'cus_1', customerAccountId: 'acct_v2_1', email: 'a@example.com', created: T0 });
    expect(parseAs(event, 'checkout').contact.customerId).toBe('cus_1');
  });

  it('dahlia checkout names: individual_name, then business_name', () => {
    const event = checkoutCompleted(DAHLIA, { mode: 'payment', customerId: 'cus_1', email: 'a@example.com', created: T0 });
    event.data.object.customer_details.business_name = 'Analytical Engines Ltd';
    expect(parseAs(event, 'checkout').contact.name).toBe('Analytical Engines Ltd');
    event.data.object.customer_details.individual_name = 'Ada';
    expect(parseAs(event, 'checkout').contact.name).toBe('Ada');
    event.data.object.customer_details.name = 'Ada Lovelace';
    expect(parseAs(event, 'checkout').contact.name).toBe('Ada Lovelace');
  });

  it('dahlia invoice payments: a paid entry wins over an open one', () => {
    const event = invoiceCycle(DAHLIA);
    const paid = event.data.object.payments.data[0];
    const open = { ...structuredClone(paid), id: 'inpay_open', status: 'open', payment: { type: 'payment_intent', payment_intent: 'pi_abandoned' } };
    event.data.object.payments.data = [open, paid];
    expect(parseAs(event, 'invoice').paymentIntentId).toBe('pi_9');
  });
});

describe('bad input never escapes as anything but ProcessingError', () => {
  const BASE_EVENTS = STRIPE_API_VERSIONS.flatMap((version) =>
    [...Object.values(SCENARIOS), allOtherTypes].flatMap((build) => {
      const built = build(version);
      return Array.isArray(built) ? built : [built];
    }),
  );

  // One event per payload shape (the exhaustive sweep is the slow part, so shapes are not repeated per type).
  const SWEEP_EVENTS = STRIPE_API_VERSIONS.flatMap((version) => [
    ...Object.values(SCENARIOS).map((build) => build(version)),
    invoiceEvent(version, {
      type: 'invoice.payment_failed',
      subscriptionId: 'sub_1',
      customerId: 'cus_1',
      billingReason: 'subscription_cycle',
      periodStart: T0,
      periodEnd: T0 + DAY,
      priceId: 'price_1',
      chargeId: 'ch_1',
      created: T0,
    }),
    ...(version === DAHLIA ? [invoicePaymentPaid(version, { invoiceId: 'in_1', chargeId: 'ch_1', created: T0 })] : []),
  ]);

  it('covers every handled event type in both versions (invoice_payment.paid: dahlia only, it is new in basil)', () => {
    for (const version of STRIPE_API_VERSIONS) {
      const types = new Set(BASE_EVENTS.filter((e) => e.api_version === version).map((e) => e.type));
      const expected = HANDLED_EVENT_TYPES.filter((type) => version === DAHLIA || type !== 'invoice_payment.paid');
      expect([...types].sort()).toEqual([...expected].sort());
    }
  });

  it.each([...HANDLED_EVENT_TYPES])('%s with data.object = {} fails as unsupported_payload_shape', (type) => {
    const error = processingErrorOf(() => parse(wrapInEvent(DAHLIA, type, {}, { created: T0 })));
    expect(error.reason).toBe('unsupported_payload_shape');
    expect(error.message).toMatch(/data\.object\.\w+/);
  });

  it('random garbage as data.object, for every handled type', () => {
    const random = seededRandom(20260729);
    for (const type of HANDLED_EVENT_TYPES) {
      for (let i = 0; i < 100; i += 1) {
        const garbage = randomJson(random, 3);
        const outcome = outcomeOf(() => parse(wrapInEvent(ACACIA, type, garbage as StripeObject, { created: T0 })));
        expect(outcome).toEqual({ ok: false, reason: expect.stringMatching(/^(unparseable_event|unsupported_payload_shape)$/) });
      }
    }
  });

  it('every field of every realistic event, replaced by odd values: a well-formed event or a ProcessingError', () => {
    // One of each JSON kind, each in the wrong place somewhere: missing, null, empty and non-empty
    // string, non-integer number, boolean, array, object (an expanded reference without an id).
    const ODD_VALUES: unknown[] = [undefined, null, '', 'x', 1.5, true, [], {}];
    // Failures are collected rather than asserted one by one: jest's matchers cost more than a parse.
    const wrong: unknown[] = [];
    let parses = 0;
    for (const base of SWEEP_EVENTS) {
      const event = structuredClone(base);
      for (const path of [...leafAndBranchPaths(event.data)]) {
        for (const odd of ODD_VALUES) {
          const restore = replaceAtPath(event.data, path, odd);
          const outcome = outcomeOf(() => parse(event));
          restore();
          parses += 1;
          if (outcome.ok) {
            const problems = billingEventProblems(outcome.event);
            if (problems.length > 0) wrong.push({ type: base.type, path, odd, problems });
          } else {
            // Only a data.object that is no object at all breaks the envelope; anything else is a shape problem.
            const replacesObject = path.length === 1 && path[0] === 'object';
            const objectLike = typeof odd === 'object' && odd !== null && !Array.isArray(odd);
            const expected = replacesObject && !objectLike ? 'unparseable_event' : 'unsupported_payload_shape';
            if (outcome.reason !== expected) wrong.push({ type: base.type, path, odd, reason: outcome.reason });
          }
        }
      }
      expect(event).toEqual(base); // every replacement was undone
    }
    expect(wrong).toEqual([]);
    expect(parses).toBeGreaterThan(12_000);
  });

  it('random multi-field damage to realistic events: a well-formed event or a ProcessingError', () => {
    const random = seededRandom(20240620);
    for (const base of BASE_EVENTS) {
      const paths = [...leafAndBranchPaths(base.data)];
      for (let round = 0; round < 60; round += 1) {
        const event = structuredClone(base);
        for (let hit = 0; hit < 4; hit += 1) {
          replaceAtPath(event.data, paths[Math.floor(random() * paths.length)]!, randomJson(random, 2));
        }
        const outcome = outcomeOf(() => parse(event));
        if (outcome.ok) expect(billingEventProblems(outcome.event)).toEqual([]);
        else expect(['unparseable_event', 'unsupported_payload_shape']).toContain(outcome.reason);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

/** The event types the named scenarios do not already cover, so the sweeps reach every handled type. */
function allOtherTypes(version: StripeApiVersion): StripeEventJson[] {
  const base = { customerId: 'cus_1', created: T0 };
  return [
    checkoutCompleted(version, { ...base, phase: 'async_succeeded', mode: 'payment', email: 'a@example.com' }),
    checkoutCompleted(version, { ...base, phase: 'async_failed', mode: 'subscription', email: 'a@example.com' }),
    ...(['created', 'deleted', 'paused', 'resumed'] as const).map((change) =>
      subscriptionEvent(version, { ...base, type: `customer.subscription.${change}`, subscriptionId: 'sub_1', priceId: 'price_1', periodEnd: T0 + DAY }),
    ),
    ...(['invoice.payment_succeeded', 'invoice.payment_failed'] as const).map((type) =>
      invoiceEvent(version, { ...base, type, subscriptionId: 'sub_1', billingReason: 'subscription_cycle', periodStart: T0, periodEnd: T0 + DAY, priceId: 'price_1', chargeId: 'ch_1' }),
    ),
    disputeEvent(version, { type: 'charge.dispute.closed', chargeId: 'ch_1', paymentIntentId: 'pi_1', status: 'lost', created: T0 }),
    // New in basil: acacia endpoints never receive it.
    ...(version === DAHLIA ? [invoicePaymentPaid(version, { invoiceId: 'in_1', paymentIntentId: 'pi_1', created: T0 })] : []),
  ];
}

function setLine(
  version: StripeApiVersion,
  line: StripeObject,
  values: { priceId: string; start: number; end: number; amount: number; proration: boolean },
): void {
  line.period = { start: values.start, end: values.end };
  line.amount = values.amount;
  if (version === ACACIA) {
    line.price = { ...line.price, id: values.priceId };
    line.proration = values.proration;
    line.type = values.proration ? 'invoiceitem' : 'subscription';
  } else {
    line.pricing.price_details.price = values.priceId;
    line.parent.subscription_item_details.proration = values.proration;
  }
}

type Outcome = { ok: true; event: ParsedStripeEvent } | { ok: false; reason: FailureReason };

function outcomeOf(run: () => ParsedStripeEvent): Outcome {
  try {
    return { ok: true, event: run() };
  } catch (error) {
    if (error instanceof ProcessingError) return { ok: false, reason: error.reason };
    throw error;
  }
}

/** Every path under `root` (objects and arrays), as key lists. */
function* leafAndBranchPaths(root: unknown, prefix: (string | number)[] = []): Generator<(string | number)[]> {
  if (Array.isArray(root)) {
    for (let i = 0; i < root.length; i += 1) {
      yield [...prefix, i];
      yield* leafAndBranchPaths(root[i], [...prefix, i]);
    }
  } else if (typeof root === 'object' && root !== null) {
    for (const [key, value] of Object.entries(root)) {
      yield [...prefix, key];
      yield* leafAndBranchPaths(value, [...prefix, key]);
    }
  }
}

type Container = Record<string | number, unknown>;

/** Replace (or, for undefined, delete) the value at `path`; returns how to put the original back. */
function replaceAtPath(root: unknown, path: (string | number)[], value: unknown): () => void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return () => undefined;
    node = (node as Container)[key];
  }
  if (typeof node !== 'object' || node === null) return () => undefined; // the path ran through a replaced branch
  const container = node as Container;
  const last = path[path.length - 1]!;
  const had = Object.hasOwn(container, last);
  const original = container[last];
  if (value === undefined) delete container[last];
  else container[last] = value;
  return () => {
    if (had) container[last] = original;
    else delete container[last];
  };
}

/** mulberry32: a tiny seeded PRNG, so the random sweeps are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GARBAGE_KEYS = ['id', 'object', 'mode', 'data', 'lines', 'items', 'price', 'period', 'end', 'subscription', 'customer', 'charge', 'refunded', 'status', '__proto__', 'constructor'];

function randomJson(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 0 ? 9 : 6));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 4e9) - 2e9;
    case 3:
      return random() * 1e6;
    case 4:
      return ['', 'x', 'sub_1', 'subscription', 'paid', 'payment'][Math.floor(random() * 6)];
    case 5:
      return 'constructor';
    case 6:
      return Array.from({ length: Math.floor(random() * 3) }, () => randomJson(random, depth - 1));
    default: {
      const object: Record<string, unknown> = {};
      const size = Math.floor(random() * 5);
      for (let i = 0; i < size; i += 1) {
        // defineProperty: an own `__proto__` key, as JSON.parse of a hostile body would produce.
        Object.defineProperty(object, GARBAGE_KEYS[Math.floor(random() * GARBAGE_KEYS.length)]!, {
          value: randomJson(random, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
  }
}
