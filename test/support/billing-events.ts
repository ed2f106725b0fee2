/**
 * Builders of NORMALIZED billing events (the types in lambdas/domain/billing-event.ts, i.e. what
 * the Stripe parser hands to the lifecycle), plus a small stand-in for what the processor does
 * after a lifecycle decision. Raw Stripe JSON lives in ./stripe-events.ts; this file never builds it.
 *
 * Defaults describe one ordinary customer: a starter monthly subscription bought through Checkout
 * on 1 January 2026, renewed on 1 February. Every builder takes overrides; `created` values are
 * Unix seconds so a test can spell out the order in which Stripe produced the events.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  BillingEvent,
  CheckoutEvent,
  DisputeEvent,
  InvoiceEvent,
  InvoicePaymentEvent,
  RefundEvent,
  SubscriptionEvent,
} from '../../lambdas/domain/billing-event';
import { ProcessingError, type FailureReason } from '../../lambdas/domain/errors';
import { applyEvent, planLicenseActions, type LicenseAction } from '../../lambdas/domain/lifecycle';
import { parsePlansConfig, type PlansConfig } from '../../lambdas/domain/plans';
import { parseStripeEvent } from '../../lambdas/stripe/parse-event';
import type { EmailTemplateName, PurchaseState } from '../../lambdas/domain/purchase';

// ---------------------------------------------------------------------------------------------
// Time and ids

export const DAY = 86_400;
/** 2026-01-01T00:00:00Z: the checkout. */
export const T0 = Date.UTC(2026, 0, 1) / 1000;
/** End of the first monthly period (2026-02-01): a real Stripe period, not "+30 days". */
export const FIRST_PERIOD_END = Date.UTC(2026, 1, 1) / 1000;
/** End of the second monthly period (2026-03-01, 28 days later). */
export const SECOND_PERIOD_END = Date.UTC(2026, 2, 1) / 1000;
/** End of the third monthly period (2026-04-01). */
export const THIRD_PERIOD_END = Date.UTC(2026, 3, 1) / 1000;

export const SUBSCRIPTION_ID = 'sub_test_1';
export const PAYMENT_INTENT_ID = 'pi_test_1';
export const CHARGE_ID = 'ch_test_1';
export const CUSTOMER_ID = 'cus_test_1';
export const CUSTOMER_EMAIL = 'ada@example.com';
/** The `productId` of config/plans.json: Checkout metadata must name it. */
export const PRODUCT_ID = 'to_prod_example';

let eventCounter = 0;
/** A fresh Stripe-like event id; pass `eventId` explicitly to model a redelivery. */
export function nextEventId(): string {
  eventCounter += 1;
  return `evt_test_${eventCounter}`;
}

const envelope = { livemode: false, apiVersion: '2025-02-24.acacia' } as const;

// ---------------------------------------------------------------------------------------------
// Event builders

type Overrides<E> = Partial<Omit<E, 'kind'>>;

const CHECKOUT_TYPES = {
  completed: 'checkout.session.completed',
  async_succeeded: 'checkout.session.async_payment_succeeded',
  async_failed: 'checkout.session.async_payment_failed',
} as const;

/** checkout.session.completed of the default starter subscription, paid, with full license metadata. */
export function checkout(overrides: Overrides<CheckoutEvent> = {}): CheckoutEvent {
  const phase = overrides.phase ?? 'completed';
  return {
    kind: 'checkout',
    eventId: nextEventId(),
    eventType: CHECKOUT_TYPES[phase],
    created: T0,
    ...envelope,
    phase,
    sessionId: 'cs_test_1',
    mode: 'subscription',
    paymentStatus: 'paid',
    purchaseId: SUBSCRIPTION_ID,
    subscriptionId: SUBSCRIPTION_ID,
    paymentIntentId: null,
    contact: { customerId: CUSTOMER_ID, email: CUSTOMER_EMAIL, name: 'Ada Lovelace' },
    metadata: { productId: PRODUCT_ID, tier: 'starter' },
    ...overrides,
  };
}

/** checkout.session.completed of a one-time purchase (mode=payment): keyed by its payment intent. */
export function oneTimeCheckout(overrides: Overrides<CheckoutEvent> = {}): CheckoutEvent {
  return checkout({
    mode: 'payment',
    purchaseId: PAYMENT_INTENT_ID,
    subscriptionId: null,
    paymentIntentId: PAYMENT_INTENT_ID,
    metadata: { productId: PRODUCT_ID, tier: 'professional' },
    ...overrides,
  });
}

const SUBSCRIPTION_STATUS: Record<SubscriptionEvent['change'], string> = {
  created: 'active',
  updated: 'active',
  deleted: 'canceled',
  paused: 'paused',
  resumed: 'active',
};

/** customer.subscription.<change> of the default starter monthly subscription. */
export function subscription(change: SubscriptionEvent['change'], overrides: Overrides<SubscriptionEvent> = {}): SubscriptionEvent {
  return {
    kind: 'subscription',
    eventId: nextEventId(),
    eventType: `customer.subscription.${change}`,
    created: T0,
    ...envelope,
    change,
    subscriptionId: SUBSCRIPTION_ID,
    customerId: CUSTOMER_ID,
    status: SUBSCRIPTION_STATUS[change],
    priceId: 'price_starter_monthly',
    currentPeriodEnd: FIRST_PERIOD_END,
    cancelAtPeriodEnd: false,
    previousPriceId: null,
    ...overrides,
  };
}

/**
 * invoice.paid / invoice.payment_succeeded / invoice.payment_failed: by default the first renewal
 * (subscription_cycle, created when the first period ends, paying through the second period).
 */
export function invoice(type: 'paid' | 'payment_succeeded' | 'payment_failed', overrides: Overrides<InvoiceEvent> = {}): InvoiceEvent {
  const failed = type === 'payment_failed';
  return {
    kind: 'invoice',
    eventId: nextEventId(),
    eventType: `invoice.${type}`,
    created: FIRST_PERIOD_END,
    ...envelope,
    outcome: failed ? 'payment_failed' : 'paid',
    invoiceId: 'in_test_1',
    subscriptionId: SUBSCRIPTION_ID,
    customerId: CUSTOMER_ID,
    customerEmail: CUSTOMER_EMAIL,
    billingReason: 'subscription_cycle',
    linePeriodEnd: SECOND_PERIOD_END,
    linePriceId: 'price_starter_monthly',
    attemptCount: 1,
    paymentIntentId: null,
    chargeId: null,
    hostedInvoiceUrl: failed ? 'https://invoice.stripe.com/i/acct_test/in_test_1' : null,
    ...overrides,
  };
}

/** charge.dispute.created (a real dispute: needs_response) or charge.dispute.closed (won). */
export function dispute(phase: DisputeEvent['phase'], overrides: Overrides<DisputeEvent> = {}): DisputeEvent {
  return {
    kind: 'dispute',
    eventId: nextEventId(),
    eventType: `charge.dispute.${phase}`,
    created: T0 + 10 * DAY,
    ...envelope,
    phase,
    disputeId: 'dp_test_1',
    chargeId: CHARGE_ID,
    paymentIntentId: PAYMENT_INTENT_ID,
    status: phase === 'created' ? 'needs_response' : 'won',
    ...overrides,
  };
}

/** charge.refunded: by default a full refund. */
export function refund(overrides: Overrides<RefundEvent> = {}): RefundEvent {
  return {
    kind: 'refund',
    eventId: nextEventId(),
    eventType: 'charge.refunded',
    created: T0 + 5 * DAY,
    ...envelope,
    chargeId: CHARGE_ID,
    paymentIntentId: PAYMENT_INTENT_ID,
    fullyRefunded: true,
    amountRefunded: 1900,
    amount: 1900,
    ...overrides,
  };
}

/** invoice_payment.paid (basil+): by default the payment intent that paid the renewal invoice. */
export function invoicePayment(overrides: Overrides<InvoicePaymentEvent> = {}): InvoicePaymentEvent {
  return {
    kind: 'invoice_payment',
    eventId: nextEventId(),
    eventType: 'invoice_payment.paid',
    created: FIRST_PERIOD_END,
    ...envelope,
    invoiceId: 'in_test_1',
    paymentIntentId: PAYMENT_INTENT_ID,
    chargeId: null,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// The shipped plans config

/** config/plans.json, validated the way the Lambdas validate it. */
export function loadShippedPlans(): PlansConfig {
  const raw: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'plans.json'), 'utf8'));
  return parsePlansConfig(raw);
}

// ---------------------------------------------------------------------------------------------
// What the processor does after a decision, minus the I/O

/** A new vendor license expires 30 days after creation (as the TO fake models it); the lifecycle then extends it. */
export const VENDOR_DEFAULT_EXPIRY = T0 + 30 * DAY;

export interface Settled {
  state: PurchaseState;
  /** Vendor calls made, in order. */
  performed: LicenseAction[];
  /** E-mail templates sent (and removed from the outbox). */
  sent: EmailTemplateName[];
}

/**
 * Carries out planned vendor calls one at a time, each succeeding, and records the result in
 * `state.license` the way lambdas/processor/purchase-workflow.ts does (a plan change keeps the
 * domain limit and status; the limit is its own call). Then "sends" the outbox, keeping e-mails
 * about a license that does not exist yet, as the processor does.
 */
export function settle(current: PurchaseState, plans: PlansConfig): Settled {
  const state = structuredClone(current);
  const performed: LicenseAction[] = [];
  for (let step = 0; step < 8; step++) {
    const [action] = planLicenseActions(state, plans);
    if (!action) break;
    performed.push(action);
    performVendorCall(state, action);
  }
  const sent: EmailTemplateName[] = [];
  state.outbox = state.outbox.filter((intent) => {
    if (!state.license && intent.template !== 'revoked') return true;
    sent.push(intent.template);
    return false;
  });
  return { state, performed, sent };
}

function performVendorCall(state: PurchaseState, action: LicenseAction): void {
  if (action.type === 'create') {
    state.license = {
      licenseId: 'lic_test_1',
      licenseKey: 'TOKEY-TEST-SECRET',
      planId: action.planId,
      tier: action.tier,
      maxDomains: action.maxDomains,
      status: 'active',
      expiresAt: VENDOR_DEFAULT_EXPIRY,
      createdAtMs: T0 * 1000,
    };
    state.createIntent = null;
    return;
  }
  const license = state.license;
  if (!license) throw new Error(`${action.type} planned without a license`);
  switch (action.type) {
    case 'revoke': license.status = 'revoked'; break;
    case 'suspend': license.status = 'suspended'; break;
    case 'reactivate': license.status = 'active'; break;
    case 'extend': license.expiresAt = action.expiresAt; break;
    case 'set_domain_limit': license.maxDomains = action.maxDomains; break;
    case 'change_plan': license.planId = action.planId; license.tier = action.tier; break;
  }
}

/** Applies events in order, settling after each (vendor calls done, e-mails sent): the purchase as the ledger holds it afterwards. */
export function applyAll(plans: PlansConfig, events: BillingEvent[], start: PurchaseState | null = null): PurchaseState {
  let state = start;
  for (const event of events) state = settle(applyEvent(state, event, plans).state, plans).state;
  if (!state) throw new Error('applyAll needs at least one event');
  return state;
}

/** Templates of the e-mails waiting in the outbox. */
export function queuedEmails(state: PurchaseState): EmailTemplateName[] {
  return state.outbox.map((intent) => intent.template);
}

/** The named reason (and retryability) a call fails with; fails the test if it does not throw a ProcessingError. */
export function failureOf(call: () => unknown): { reason: FailureReason; retryable: boolean } {
  try {
    call();
  } catch (error) {
    if (error instanceof ProcessingError) return { reason: error.reason, retryable: error.retryable };
    throw error;
  }
  throw new Error('expected a ProcessingError, but the call succeeded');
}

/**
 * Parses raw Stripe JSON that must concern a purchase (the lifecycle's input). A no-op event (e.g. a
 * setup-mode checkout) fails the test that expected a purchase.
 */
export function parsePurchaseEvent(rawJson: string): BillingEvent {
  const parsed = parseStripeEvent(rawJson);
  if (parsed.kind === 'no_purchase') throw new Error(`expected an event of a purchase, got a no-op: ${parsed.reason}`);
  return parsed;
}
