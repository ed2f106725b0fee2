/**
 * The Stripe events this product acts on, normalized: one shape per meaning, whatever Stripe API
 * version produced the payload. The parser (lambdas/stripe/parse-event.ts) builds these; the
 * lifecycle (./lifecycle.ts) consumes them. Pure types, no imports.
 *
 * Times are Unix seconds, as Stripe sends them. `created` is the Stripe event's `created`: the
 * ordering rule (DESIGN §3) compares it per field.
 */

/** Every event type the webhook accepts and enqueues; anything else is answered "ignored". */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'charge.dispute.created',
  'charge.dispute.closed',
  'charge.refunded',
  'invoice_payment.paid',
] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

export function isHandledEventType(type: string): type is HandledEventType {
  return (HANDLED_EVENT_TYPES as readonly string[]).includes(type);
}

/** Fields every normalized event carries. */
export interface EventEnvelope {
  /** Stripe event id (`evt_…`): the idempotency key and the audit reference. */
  eventId: string;
  /** Stripe event type, as sent. */
  eventType: HandledEventType;
  /** Stripe event `created` (Unix seconds). */
  created: number;
  livemode: boolean;
  /** The webhook endpoint's API version that shaped the payload, e.g. `2025-02-24.acacia`. */
  apiVersion: string | null;
}

/** The licensing metadata a Checkout Session carries (see README "Checkout contract"). */
export interface CheckoutLicenseMetadata {
  productId?: string;
  tier?: string;
  /** Raw string as sent; validated against the plans config by the lifecycle. */
  maxDomains?: string;
}

export interface CustomerContact {
  /** Stripe customer id, or the `customer_account` id (dahlia) when `customer` is null. */
  customerId: string | null;
  email: string | null;
  name: string | null;
}

export interface CheckoutEvent extends EventEnvelope {
  kind: 'checkout';
  /** completed: the session finished; async_succeeded / async_failed: a delayed payment method settled. */
  phase: 'completed' | 'async_succeeded' | 'async_failed';
  sessionId: string;
  mode: 'subscription' | 'payment';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** The purchase key: the subscription id (mode subscription) or the payment intent id (mode payment). */
  purchaseId: string;
  subscriptionId: string | null;
  paymentIntentId: string | null;
  contact: CustomerContact;
  metadata: CheckoutLicenseMetadata;
}

export interface SubscriptionEvent extends EventEnvelope {
  kind: 'subscription';
  change: 'created' | 'updated' | 'deleted' | 'paused' | 'resumed';
  subscriptionId: string;
  customerId: string | null;
  /** Stripe subscription status (active, past_due, paused, canceled, …). */
  status: string;
  /** Price of the (first) subscription item: maps to a tier through the plans config. */
  priceId: string | null;
  /** Current period end (Unix seconds), from the subscription (old) or its items (basil+). */
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  /** For `updated`: the price before the change, when `previous_attributes` shows one. */
  previousPriceId: string | null;
}

export interface InvoiceEvent extends EventEnvelope {
  kind: 'invoice';
  outcome: 'paid' | 'payment_failed';
  invoiceId: string;
  subscriptionId: string | null;
  customerId: string | null;
  customerEmail: string | null;
  /** subscription_create, subscription_cycle, subscription_update, manual, … */
  billingReason: string | null;
  /** `period.end` of the paid subscription line (not "+1 month"). */
  linePeriodEnd: number | null;
  linePriceId: string | null;
  attemptCount: number | null;
  /** Payment references that later disputes/refunds can point at (present in older versions). */
  paymentIntentId: string | null;
  chargeId: string | null;
  /** Link where the customer updates their card (hosted invoice page), if Stripe sent one. */
  hostedInvoiceUrl: string | null;
}

export interface DisputeEvent extends EventEnvelope {
  kind: 'dispute';
  phase: 'created' | 'closed';
  disputeId: string;
  chargeId: string;
  paymentIntentId: string | null;
  /** Stripe dispute status: warning_needs_response, needs_response, won, lost, warning_closed, … */
  status: string;
}

export interface RefundEvent extends EventEnvelope {
  kind: 'refund';
  chargeId: string;
  paymentIntentId: string | null;
  /** true when the whole charge was refunded. */
  fullyRefunded: boolean;
  amountRefunded: number;
  amount: number;
}

/**
 * invoice_payment.paid (API versions from 2025-03-31.basil on): which payment intent or charge paid
 * an invoice. Since basil neither the invoice nor the charge names the other in a webhook, and a
 * subscription Checkout carries no payment intent, so this is how a later dispute or refund of a
 * subscription payment finds its purchase.
 */
export interface InvoicePaymentEvent extends EventEnvelope {
  kind: 'invoice_payment';
  invoiceId: string;
  paymentIntentId: string | null;
  chargeId: string | null;
}

export type BillingEvent = CheckoutEvent | SubscriptionEvent | InvoiceEvent | DisputeEvent | RefundEvent | InvoicePaymentEvent;

/**
 * A handled event type whose object concerns no licensed purchase, e.g. a setup-mode Checkout
 * Session (it saves a payment method; nothing is bought). Recorded as a no-op, never a failure:
 * it is valid Stripe input, just not ours to act on.
 */
export interface NoPurchaseEvent extends EventEnvelope {
  kind: 'no_purchase';
  /** Why, in words (the ledger's no-op record and the log line carry it). */
  reason: string;
}

/** What the parser makes of a handled event: a billing event of a purchase, or a recorded no-op. */
export type ParsedStripeEvent = BillingEvent | NoPurchaseEvent;
