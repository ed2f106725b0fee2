/**
 * Realistic Stripe webhook events for tests, in the shape of a given API version.
 *
 * Every builder starts from Stripe's own example object for that version (test/fixtures/stripe,
 * copied unchanged from stripe/openapi), sets only what the scenario needs (the fixture values are
 * generated placeholders, see the fixture README) and wraps it in an event envelope. The builders
 * stay version-faithful: an acacia invoice names its subscription at `invoice.subscription` and has
 * no `parent`; a dahlia invoice has `parent.subscription_details` and no top-level `subscription`.
 *
 * Builders return plain objects so a test can still bend one field; `toPayload` gives the raw body
 * and `signStripePayload` its real `Stripe-Signature` header.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Stripe from 'stripe';

/** Stripe payloads stay loose JSON here, so a test can set or delete any field. */
export type StripeObject = Record<string, any>;

export const STRIPE_API_VERSIONS = ['2025-02-24.acacia', '2026-07-29.dahlia'] as const;
export type StripeApiVersion = (typeof STRIPE_API_VERSIONS)[number];

export const STRIPE_FIXTURE_ROOT = path.join(__dirname, '..', 'fixtures', 'stripe');

export type StripeFixtureName =
  | 'charge'
  | 'checkout.session'
  | 'checkout_line_item'
  | 'customer'
  | 'dispute'
  | 'event'
  | 'invoice'
  | 'invoice_payment'
  | 'line_item'
  | 'payment_intent'
  | 'price'
  | 'refund'
  | 'subscription'
  | 'subscription_item';

const fixtureText = new Map<string, string>();

/** A fresh deep copy of Stripe's example object, so a test can change it freely. */
export function loadFixture(version: StripeApiVersion, name: StripeFixtureName): StripeObject {
  const file = path.join(STRIPE_FIXTURE_ROOT, version, `${name}.json`);
  let text = fixtureText.get(file);
  if (text === undefined) {
    text = fs.readFileSync(file, 'utf8');
    fixtureText.set(file, text);
  }
  return JSON.parse(text) as StripeObject;
}

let idCounter = 0;

/** Deterministic Stripe-looking ids (`evt_test000001`): stable across runs, unique within a test file. */
export function nextId(prefix: string): string {
  idCounter += 1;
  return `${prefix}_test${String(idCounter).padStart(6, '0')}`;
}

export function resetIdCounter(): void {
  idCounter = 0;
}

export interface StripeEventJson {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  data: { object: StripeObject; previous_attributes?: StripeObject };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface EnvelopeOptions {
  /** Event `created` (Unix seconds): the ordering key of every field the event sets. */
  created: number;
  livemode?: boolean;
  /** Defaults to a fresh `nextId('evt')`; pass one to compare events across versions. */
  eventId?: string;
  /** `data.previous_attributes`, for `*.updated` events. */
  previousAttributes?: StripeObject;
}

/** Wrap an object as Stripe delivers it: the envelope itself comes from the version's event.json. */
export function wrapInEvent(
  version: StripeApiVersion,
  type: string,
  object: StripeObject,
  options: EnvelopeOptions,
): StripeEventJson {
  const event = loadFixture(version, 'event');
  event.id = options.eventId ?? nextId('evt');
  event.type = type;
  event.api_version = version;
  event.created = options.created;
  event.livemode = options.livemode ?? false;
  event.pending_webhooks = 1;
  event.data = { object };
  if (options.previousAttributes !== undefined) event.data.previous_attributes = options.previousAttributes;
  return event as StripeEventJson;
}

export function toPayload(event: StripeEventJson | StripeObject): string {
  return JSON.stringify(event);
}

/**
 * The `Stripe-Signature` header Stripe would send for this exact body. Uses the library's static
 * test helper: no Stripe client is built, nothing is sent anywhere.
 */
export function signStripePayload(payload: string, secret: string, timestampSeconds?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestampSeconds === undefined ? {} : { timestamp: timestampSeconds }),
  });
}

const isDahlia = (version: StripeApiVersion): boolean => version === '2026-07-29.dahlia';

function requireDahliaForAccounts(version: StripeApiVersion, customerAccountId: string | undefined): void {
  if (customerAccountId !== undefined && !isDahlia(version)) {
    throw new Error(`customer_account does not exist in ${version} payloads`);
  }
}

// ---------------------------------------------------------------------------------------------
// checkout.session.*

export type CheckoutPhase = 'completed' | 'async_succeeded' | 'async_failed';

const CHECKOUT_EVENT_TYPE: Record<CheckoutPhase, string> = {
  completed: 'checkout.session.completed',
  async_succeeded: 'checkout.session.async_payment_succeeded',
  async_failed: 'checkout.session.async_payment_failed',
};

export interface CheckoutOptions extends EnvelopeOptions {
  phase?: CheckoutPhase;
  sessionId?: string;
  mode: 'subscription' | 'payment';
  /** mode subscription: defaults to a fresh `sub_` id. */
  subscriptionId?: string;
  /** mode payment: defaults to a fresh `pi_` id. */
  paymentIntentId?: string;
  customerId: string | null;
  /** dahlia only: an Accounts v2 customer (`customer` stays null when customerId is null). */
  customerAccountId?: string;
  email: string | null;
  name?: string | null;
  /** Defaults: paid when completed / async succeeded, unpaid when the async payment failed. */
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  metadata?: Record<string, string>;
  amountTotal?: number;
}

export function checkoutCompleted(version: StripeApiVersion, options: CheckoutOptions): StripeEventJson {
  requireDahliaForAccounts(version, options.customerAccountId);
  const phase = options.phase ?? 'completed';
  const session = loadFixture(version, 'checkout.session');
  const sessionId = options.sessionId ?? nextId('cs');
  const amount = options.amountTotal ?? 2000;
  session.id = sessionId;
  session.mode = options.mode;
  session.status = 'complete';
  session.payment_status = options.paymentStatus ?? (phase === 'async_failed' ? 'unpaid' : 'paid');
  session.subscription = options.mode === 'subscription' ? (options.subscriptionId ?? nextId('sub')) : null;
  // Stripe creates the payment intent for one-time payments only; a subscription's first payment
  // belongs to its invoice.
  session.payment_intent = options.mode === 'payment' ? (options.paymentIntentId ?? nextId('pi')) : null;
  session.invoice = options.mode === 'subscription' ? nextId('in') : null;
  session.customer = options.customerId;
  if (isDahlia(version)) session.customer_account = options.customerAccountId ?? null;
  session.customer_details.email = options.email;
  session.customer_details.name = options.name ?? null;
  session.metadata = { ...(options.metadata ?? {}) };
  session.amount_subtotal = amount;
  session.amount_total = amount;
  session.currency = 'usd';
  session.created = options.created - 120;
  session.expires_at = options.created - 120 + 24 * 3600;
  session.livemode = options.livemode ?? false;
  session.url = null; // a completed session no longer has a payment page
  return wrapInEvent(version, CHECKOUT_EVENT_TYPE[phase], session, options);
}

// ---------------------------------------------------------------------------------------------
// customer.subscription.*

export type SubscriptionEventType =
  | 'customer.subscription.created'
  | 'customer.subscription.updated'
  | 'customer.subscription.deleted'
  | 'customer.subscription.paused'
  | 'customer.subscription.resumed';

const DEFAULT_SUBSCRIPTION_STATUS: Record<SubscriptionEventType, string> = {
  'customer.subscription.created': 'active',
  'customer.subscription.updated': 'active',
  'customer.subscription.deleted': 'canceled',
  'customer.subscription.paused': 'paused',
  'customer.subscription.resumed': 'active',
};

export interface SubscriptionOptions extends EnvelopeOptions {
  type: SubscriptionEventType;
  subscriptionId: string;
  customerId: string;
  customerAccountId?: string;
  priceId: string;
  /** Defaults to 30 days before periodEnd. */
  periodStart?: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
  status?: string;
  /** For updated: the price before the change, shown through `previous_attributes.items`. */
  previousPriceId?: string;
}

const THIRTY_DAYS = 30 * 24 * 3600;

export function subscriptionEvent(version: StripeApiVersion, options: SubscriptionOptions): StripeEventJson {
  requireDahliaForAccounts(version, options.customerAccountId);
  const subscription = loadFixture(version, 'subscription');
  const periodStart = options.periodStart ?? options.periodEnd - THIRTY_DAYS;
  const livemode = options.livemode ?? false;
  const status = options.status ?? DEFAULT_SUBSCRIPTION_STATUS[options.type];
  const cancelAtPeriodEnd = options.cancelAtPeriodEnd ?? false;

  subscription.id = options.subscriptionId;
  subscription.customer = options.customerId;
  if (isDahlia(version)) subscription.customer_account = options.customerAccountId ?? null;
  subscription.status = status;
  subscription.livemode = livemode;
  subscription.created = periodStart;
  subscription.start_date = periodStart;
  subscription.billing_cycle_anchor = periodStart;
  subscription.cancel_at_period_end = cancelAtPeriodEnd;
  subscription.cancel_at = cancelAtPeriodEnd ? options.periodEnd : null;
  const ended = options.type === 'customer.subscription.deleted';
  subscription.canceled_at = ended || cancelAtPeriodEnd ? options.created : null;
  subscription.ended_at = ended ? options.created : null;
  subscription.trial_start = null;
  subscription.trial_end = null;
  subscription.pause_collection = null;
  subscription.pending_update = null;
  subscription.next_pending_invoice_item_invoice = null;
  subscription.latest_invoice = nextId('in');
  if (isDahlia(version)) {
    subscription.billing_cycle_anchor_config = null;
    subscription.pending_invoice_item_interval = null;
    subscription.transfer_data = null;
  }

  const item = subscription.items.data[0];
  const itemId = nextId('si');
  setSubscriptionItem(version, item, { itemId, subscriptionId: options.subscriptionId, priceId: options.priceId, livemode });
  subscription.items.url = `/v1/subscription_items?subscription=${options.subscriptionId}`;
  // The period moved from the subscription to its items in basil.
  if (isDahlia(version)) {
    item.current_period_start = periodStart;
    item.current_period_end = options.periodEnd;
  } else {
    subscription.current_period_start = periodStart;
    subscription.current_period_end = options.periodEnd;
  }

  let previousAttributes = options.previousAttributes;
  if (options.type === 'customer.subscription.updated') {
    previousAttributes = { ...(previousAttributes ?? {}) };
    if (options.previousPriceId !== undefined) {
      const previousItems = structuredClone(subscription.items);
      setSubscriptionItem(version, previousItems.data[0], {
        itemId,
        subscriptionId: options.subscriptionId,
        priceId: options.previousPriceId,
        livemode,
      });
      previousAttributes.items = previousItems;
    }
    if (cancelAtPeriodEnd) {
      previousAttributes.cancel_at_period_end = false;
      previousAttributes.cancel_at = null;
      previousAttributes.canceled_at = null;
    }
  }
  return wrapInEvent(version, options.type, subscription, { ...options, previousAttributes });
}

function setSubscriptionItem(
  version: StripeApiVersion,
  item: StripeObject,
  values: { itemId: string; subscriptionId: string; priceId: string; livemode: boolean },
): void {
  item.id = values.itemId;
  item.subscription = values.subscriptionId;
  item.price = recurringPrice(version, values.priceId, values.livemode);
  // Legacy `plan` mirrors the price (same id) for prices created through the Prices API.
  item.plan = {
    ...item.plan,
    id: values.priceId,
    amount: item.price.unit_amount,
    amount_decimal: item.price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    currency: 'usd',
    interval: 'month',
    interval_count: 1,
    livemode: values.livemode,
    metadata: {},
    product: item.price.product,
  };
}

function recurringPrice(version: StripeApiVersion, priceId: string, livemode: boolean): StripeObject {
  const price = loadFixture(version, 'price');
  price.id = priceId;
  price.livemode = livemode;
  if (isDahlia(version)) {
    price.custom_unit_amount = null;
    price.transform_quantity = null;
  }
  return price;
}

// ---------------------------------------------------------------------------------------------
// invoice.*

export type InvoiceEventType = 'invoice.paid' | 'invoice.payment_succeeded' | 'invoice.payment_failed';

export interface InvoiceOptions extends EnvelopeOptions {
  type: InvoiceEventType;
  invoiceId?: string;
  subscriptionId: string;
  customerId: string | null;
  customerAccountId?: string;
  customerEmail?: string | null;
  /** subscription_create, subscription_cycle, subscription_update, manual, … */
  billingReason: string;
  /** The paid subscription period: the subscription line's `period`. */
  periodStart: number;
  periodEnd: number;
  priceId: string;
  amount?: number;
  /** Defaults to 1 (one attempt made, the one this event reports). */
  attemptCount?: number;
  /**
   * acacia: `invoice.payment_intent` / `invoice.charge`. dahlia: one `invoice.payments` entry, which
   * names a payment intent, or a charge only when there is no payment intent (as Stripe does), so
   * with both given a dahlia invoice carries just the payment intent.
   */
  paymentIntentId?: string;
  chargeId?: string;
  /**
   * dahlia: whether the webhook carries `invoice.payments` (default true). Stripe includes it only
   * when asked to, so a real basil+ webhook has none (false): invoice_payment.paid then links the payment.
   */
  paymentsIncluded?: boolean;
  /** Defaults to a hosted invoice link; null for none. */
  hostedInvoiceUrl?: string | null;
}

export function invoiceEvent(version: StripeApiVersion, options: InvoiceOptions): StripeEventJson {
  requireDahliaForAccounts(version, options.customerAccountId);
  const invoice = loadFixture(version, 'invoice');
  const invoiceId = options.invoiceId ?? nextId('in');
  const livemode = options.livemode ?? false;
  const amount = options.amount ?? 2000;
  const paid = options.type !== 'invoice.payment_failed';
  const finalizedAt = options.created - 3600;

  invoice.id = invoiceId;
  invoice.livemode = livemode;
  invoice.customer = options.customerId;
  if (isDahlia(version)) invoice.customer_account = options.customerAccountId ?? null;
  invoice.customer_email = options.customerEmail ?? null;
  invoice.billing_reason = options.billingReason;
  invoice.attempt_count = options.attemptCount ?? 1;
  invoice.attempted = true;
  invoice.status = paid ? 'paid' : 'open';
  invoice.auto_advance = !paid;
  invoice.amount_due = amount;
  invoice.amount_paid = paid ? amount : 0;
  invoice.amount_remaining = paid ? 0 : amount;
  invoice.subtotal = amount;
  invoice.subtotal_excluding_tax = amount;
  invoice.total = amount;
  invoice.total_excluding_tax = amount;
  invoice.created = finalizedAt;
  invoice.effective_at = finalizedAt;
  invoice.due_date = null;
  invoice.number = `TEST-${invoiceId.slice(-6)}`;
  invoice.next_payment_attempt = paid ? null : options.created + 3 * 24 * 3600;
  invoice.webhooks_delivered_at = null;
  invoice.hosted_invoice_url =
    options.hostedInvoiceUrl === undefined ? `https://invoice.stripe.com/i/acct_test/${invoiceId}` : options.hostedInvoiceUrl;
  invoice.status_transitions = { finalized_at: finalizedAt, marked_uncollectible_at: null, paid_at: paid ? options.created : null, voided_at: null };
  // On a renewal Stripe's invoice-level period is the period that just ended (usage is billed in
  // arrears); only the line shows the period being paid for. Keep that trap realistic.
  const first = options.billingReason === 'subscription_create';
  invoice.period_start = first ? options.periodStart : options.periodStart - (options.periodEnd - options.periodStart);
  invoice.period_end = options.periodStart;

  const line = invoice.lines.data[0];
  line.id = nextId('il');
  line.invoice = invoiceId;
  line.livemode = livemode;
  line.amount = amount;
  line.description = '1 × Traffic Orchestrator (at $20.00 / month)';
  line.period = { start: options.periodStart, end: options.periodEnd };
  line.subscription = options.subscriptionId;
  invoice.lines.url = `/v1/invoices/${invoiceId}/lines`;
  const subscriptionItemId = nextId('si');

  if (isDahlia(version)) {
    // basil+: the subscription moved under `parent`, the price under `pricing`, and the payment
    // references into the `payments` list.
    delete invoice.subscription;
    invoice.parent = {
      quote_details: null,
      subscription_details: { metadata: {}, subscription: options.subscriptionId },
      type: 'subscription_details',
    };
    invoice.from_invoice = null;
    invoice.last_finalization_error = null;
    invoice.amount_overpaid = 0;
    invoice.shipping_cost = null;
    line.subtotal = amount;
    line.parent = {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: options.subscriptionId,
        subscription_item: subscriptionItemId,
      },
      type: 'subscription_item_details',
    };
    const price = recurringPrice(version, options.priceId, livemode);
    line.pricing = {
      price_details: { price: options.priceId, product: price.product },
      type: 'price_details',
      unit_amount_decimal: String(amount),
    };
    const payment = options.paymentsIncluded === false ? null : dahliaInvoicePayment(invoiceId, options, amount, paid, livemode);
    if (payment !== null) {
      invoice.payments = { object: 'list', data: [payment], has_more: false, url: `/v1/invoice_payments?invoice=${invoiceId}` };
    }
  } else {
    invoice.subscription = options.subscriptionId;
    invoice.subscription_details = { metadata: {} };
    invoice.payment_intent = options.paymentIntentId ?? null;
    invoice.charge = options.chargeId ?? null;
    invoice.paid = paid;
    line.type = 'subscription';
    line.invoice_item = null;
    line.subscription_item = subscriptionItemId;
    line.amount_excluding_tax = amount;
    line.unit_amount_excluding_tax = String(amount);
    line.price = recurringPrice(version, options.priceId, livemode);
  }
  return wrapInEvent(version, options.type, invoice, options);
}

function dahliaInvoicePayment(
  invoiceId: string,
  options: Pick<InvoiceOptions, 'created' | 'paymentIntentId' | 'chargeId'>,
  amount: number,
  paid: boolean,
  livemode: boolean,
): StripeObject | null {
  if (options.paymentIntentId === undefined && options.chargeId === undefined) return null;
  const entry = loadFixture('2026-07-29.dahlia', 'invoice_payment');
  entry.id = nextId('inpay');
  entry.invoice = invoiceId;
  entry.livemode = livemode;
  entry.currency = 'usd';
  entry.created = options.created - 60;
  entry.amount_requested = amount;
  entry.amount_paid = paid ? amount : null;
  entry.status = paid ? 'paid' : 'open';
  entry.status_transitions = { canceled_at: null, paid_at: paid ? options.created : null };
  entry.payment =
    options.paymentIntentId !== undefined
      ? { type: 'payment_intent', payment_intent: options.paymentIntentId }
      : { type: 'charge', charge: options.chargeId };
  return entry;
}

// ---------------------------------------------------------------------------------------------
// invoice_payment.paid (basil and later)

export interface InvoicePaymentOptions extends EnvelopeOptions {
  invoiceId: string;
  /** The payment: a payment intent, or a charge when there is none (as Stripe names it). */
  paymentIntentId?: string;
  chargeId?: string;
  amount?: number;
}

export function invoicePaymentPaid(version: StripeApiVersion, options: InvoicePaymentOptions): StripeEventJson {
  if (!isDahlia(version)) throw new Error(`invoice_payment.paid does not exist in ${version} payloads (it is new in basil)`);
  const entry = dahliaInvoicePayment(options.invoiceId, options, options.amount ?? 2000, true, options.livemode ?? false);
  if (entry === null) throw new Error('invoicePaymentPaid needs a paymentIntentId or a chargeId');
  return wrapInEvent(version, 'invoice_payment.paid', entry, options);
}

// ---------------------------------------------------------------------------------------------
// charge.dispute.* and charge.refunded

export interface DisputeOptions extends EnvelopeOptions {
  type: 'charge.dispute.created' | 'charge.dispute.closed';
  disputeId?: string;
  chargeId: string;
  paymentIntentId: string | null;
  /** warning_needs_response, needs_response, won, lost, warning_closed, … */
  status: string;
  amount?: number;
}

export function disputeEvent(version: StripeApiVersion, options: DisputeOptions): StripeEventJson {
  const dispute = loadFixture(version, 'dispute');
  const inquiry = options.status.startsWith('warning_');
  dispute.id = options.disputeId ?? nextId('dp');
  dispute.charge = options.chargeId;
  dispute.payment_intent = options.paymentIntentId;
  dispute.status = options.status;
  dispute.amount = options.amount ?? 2000;
  dispute.created = options.created;
  dispute.livemode = options.livemode ?? false;
  dispute.reason = inquiry ? 'general' : 'fraudulent';
  dispute.is_charge_refundable = inquiry;
  dispute.payment_method_details.card.case_type = inquiry ? 'inquiry' : 'chargeback';
  return wrapInEvent(version, options.type, dispute, options);
}

export interface RefundOptions extends EnvelopeOptions {
  chargeId: string;
  paymentIntentId: string | null;
  amount: number;
  amountRefunded: number;
  customerId?: string | null;
}

export function chargeRefunded(version: StripeApiVersion, options: RefundOptions): StripeEventJson {
  const charge = loadFixture(version, 'charge');
  const livemode = options.livemode ?? false;
  charge.id = options.chargeId;
  charge.payment_intent = options.paymentIntentId;
  charge.customer = options.customerId ?? null;
  charge.amount = options.amount;
  charge.amount_captured = options.amount;
  charge.captured = true;
  charge.amount_refunded = options.amountRefunded;
  charge.refunded = options.amountRefunded >= options.amount;
  charge.created = options.created - 24 * 3600;
  charge.livemode = livemode;
  charge.payment_method_details.card.overcapture.maximum_amount_capturable = options.amount;
  if (isDahlia(version)) {
    charge.source = null;
    charge.transfer_data = null;
  }
  const refund = loadFixture(version, 'refund');
  refund.id = nextId('re');
  refund.amount = options.amountRefunded;
  refund.charge = options.chargeId;
  refund.payment_intent = options.paymentIntentId;
  refund.created = options.created;
  charge.refunds = { ...charge.refunds, data: [refund], url: `/v1/charges/${options.chargeId}/refunds` };
  return wrapInEvent(version, 'charge.refunded', charge, options);
}

// ---------------------------------------------------------------------------------------------
// Checking parser output

type FieldCheck = (value: unknown) => boolean;
const nonEmptyString: FieldCheck = (v) => typeof v === 'string' && v !== '';
const stringOrNull: FieldCheck = (v) => v === null || nonEmptyString(v);
const finiteNumber: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const numberOrNull: FieldCheck = (v) => v === null || finiteNumber(v);
const boolean: FieldCheck = (v) => typeof v === 'boolean';
const oneOf =
  (...allowed: unknown[]): FieldCheck =>
  (v) =>
    allowed.includes(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shape =
  (fields: Record<string, FieldCheck>, optional: readonly string[] = []): FieldCheck =>
  (v) =>
    isRecord(v) &&
    Object.keys(v).every((key) => key in fields) &&
    Object.entries(fields).every(([key, check]) => (optional.includes(key) && !(key in v) ? true : check(v[key])));

const ENVELOPE_FIELDS: Record<string, FieldCheck> = {
  eventId: nonEmptyString,
  eventType: nonEmptyString,
  created: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
  livemode: boolean,
  apiVersion: stringOrNull,
};

const FIELDS_BY_KIND: Record<string, Record<string, FieldCheck>> = {
  checkout: {
    phase: oneOf('completed', 'async_succeeded', 'async_failed'),
    sessionId: nonEmptyString,
    mode: oneOf('subscription', 'payment'),
    paymentStatus: oneOf('paid', 'unpaid', 'no_payment_required'),
    purchaseId: nonEmptyString,
    subscriptionId: stringOrNull,
    paymentIntentId: stringOrNull,
    contact: shape({ customerId: stringOrNull, email: stringOrNull, name: stringOrNull }),
    metadata: shape(
      { productId: nonEmptyString, tier: nonEmptyString, maxDomains: nonEmptyString },
      ['productId', 'tier', 'maxDomains'],
    ),
  },
  subscription: {
    change: oneOf('created', 'updated', 'deleted', 'paused', 'resumed'),
    subscriptionId: nonEmptyString,
    customerId: stringOrNull,
    status: nonEmptyString,
    priceId: stringOrNull,
    currentPeriodEnd: numberOrNull,
    cancelAtPeriodEnd: boolean,
    previousPriceId: stringOrNull,
  },
  invoice: {
    outcome: oneOf('paid', 'payment_failed'),
    invoiceId: nonEmptyString,
    subscriptionId: stringOrNull,
    customerId: stringOrNull,
    customerEmail: stringOrNull,
    billingReason: stringOrNull,
    linePeriodEnd: numberOrNull,
    linePriceId: stringOrNull,
    attemptCount: numberOrNull,
    paymentIntentId: stringOrNull,
    chargeId: stringOrNull,
    hostedInvoiceUrl: stringOrNull,
  },
  dispute: {
    phase: oneOf('created', 'closed'),
    disputeId: nonEmptyString,
    chargeId: nonEmptyString,
    paymentIntentId: stringOrNull,
    status: nonEmptyString,
  },
  refund: {
    chargeId: nonEmptyString,
    paymentIntentId: stringOrNull,
    fullyRefunded: boolean,
    amountRefunded: finiteNumber,
    amount: finiteNumber,
  },
  invoice_payment: {
    invoiceId: nonEmptyString,
    paymentIntentId: stringOrNull,
    chargeId: stringOrNull,
  },
  no_purchase: {
    reason: nonEmptyString,
  },
};

/** The normalized kind an event type must produce. */
export function expectedKind(eventType: string): string | null {
  if (eventType.startsWith('checkout.session.')) return 'checkout';
  if (eventType.startsWith('customer.subscription.')) return 'subscription';
  if (eventType.startsWith('invoice.')) return 'invoice';
  if (eventType.startsWith('charge.dispute.')) return 'dispute';
  if (eventType === 'charge.refunded') return 'refund';
  if (eventType === 'invoice_payment.paid') return 'invoice_payment';
  return null;
}

/**
 * What is wrong with a value that claims to be a BillingEvent: an empty list means every field is
 * present with its documented type, nothing extra, and `kind` matches `eventType`.
 */
export function billingEventProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['not an object'];
  const kind = value.kind;
  const fields = typeof kind === 'string' ? FIELDS_BY_KIND[kind] : undefined;
  if (fields === undefined) return [`unknown kind ${String(kind)}`];
  const problems: string[] = [];
  // A no-op (no_purchase) may come from any type whose object can concern no purchase.
  if (typeof value.eventType !== 'string' || (kind !== 'no_purchase' && expectedKind(value.eventType) !== kind)) {
    problems.push(`kind ${kind} does not fit eventType ${String(value.eventType)}`);
  }
  const all: Record<string, FieldCheck> = { ...ENVELOPE_FIELDS, ...fields, kind: nonEmptyString };
  for (const [key, check] of Object.entries(all)) {
    if (!check(value[key])) problems.push(`${key} = ${JSON.stringify(value[key])}`);
  }
  for (const key of Object.keys(value)) if (!(key in all)) problems.push(`unexpected field ${key}`);
  return problems;
}
