/**
 * The demo's story: one customer's subscription from purchase to cancellation, as the Stripe
 * webhook events Stripe sends for it (dahlia API version payloads, built from Stripe's own example
 * objects by test/support/stripe-events.ts), with what the product must have done after each step.
 *
 * Time runs forward from today: the events' `created` values follow the subscription's real
 * monthly periods, so the expiry dates shown at Traffic Orchestrator line up with them. Ids carry
 * a per-run suffix, so the demo can run again and again against the same pipeline.
 */
import type { PlansConfig } from '../lambdas/domain/plans';
import {
  checkoutCompleted,
  disputeEvent,
  invoiceEvent,
  invoicePaymentPaid,
  subscriptionEvent,
  type StripeApiVersion,
  type StripeEventJson,
} from '../test/support/stripe-events';
import type { PurchaseView } from './local-client';

const VERSION: StripeApiVersion = '2026-07-29.dahlia';
const HOUR = 3600;
const DAY = 86_400;

export interface StepExpectation {
  /** Status of the purchase's license at Traffic Orchestrator. */
  licenseStatus: 'active' | 'suspended' | 'revoked';
  planId?: string;
  /** The license must not end before this (Unix seconds): the paid period. */
  expiresAtLeast?: number;
  /** Templates of the e-mails this step sends, in order. */
  emails: string[];
  /** A check of the ledger's view of the purchase; returns what is wrong, or null. */
  ledger?: (purchase: PurchaseView) => string | null;
}

export interface DemoStep {
  title: string;
  /** When it happens in the story (Unix seconds). */
  at: number;
  /** What the customer (or their bank) did. */
  story: string;
  events: StripeEventJson[];
  expect: StepExpectation;
  /** What the product did about it, for the reader. */
  explain: string;
}

export interface CustomerLife {
  customer: { name: string; email: string; customerId: string };
  purchaseId: string;
  startsAt: number;
  steps: DemoStep[];
}

/** The calendar month after `seconds` (the way Stripe moves a monthly period), as Unix seconds. */
export function addMonths(seconds: number, months: number): number {
  const date = new Date(seconds * 1000);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
  // 31 January + 1 month: Stripe ends the period on the last day of February, not in March.
  if (target.getUTCDate() !== date.getUTCDate()) target.setUTCDate(0);
  return Math.floor(target.getTime() / 1000);
}

function monthlyPrice(plans: PlansConfig, tier: string): string {
  const entry = Object.entries(plans.prices).find(([, price]) => price.tier === tier && price.interval === 'month');
  if (!entry) throw new Error(`the demo needs a monthly price for tier "${tier}" in the plans config`);
  return entry[0];
}

function tierPlan(plans: PlansConfig, tier: string): string {
  const config = plans.tiers[tier];
  if (!config) throw new Error(`the demo needs a tier "${tier}" in the plans config`);
  return config.planId;
}

export function customerLife(plans: PlansConfig, options: { now: number; runId: string }): CustomerLife {
  const { runId } = options;
  const id = (prefix: string, name = '') => `${prefix}_demo${runId}${name}`;
  let eventNumber = 0;
  const eventId = () => `evt_demo${runId}${String(++eventNumber).padStart(2, '0')}`;

  const customer = { name: 'Ada Lovelace', email: `ada.${runId}@example.com`, customerId: id('cus') };
  const subscriptionId = id('sub');
  const proPrice = monthlyPrice(plans, 'professional');
  const businessPrice = monthlyPrice(plans, 'business');
  const proPlan = tierPlan(plans, 'professional');
  const businessPlan = tierPlan(plans, 'business');

  const t0 = options.now;
  const p1 = addMonths(t0, 1);
  const p2 = addMonths(t0, 2);
  const p3 = addMonths(t0, 3);
  const common = { subscriptionId, customerId: customer.customerId };
  const invoice = (
    type: 'invoice.paid' | 'invoice.payment_failed',
    values: { created: number; invoiceId: string; billingReason: string; periodStart: number; periodEnd: number; paymentIntentId: string; attemptCount?: number; priceId?: string },
  ) => invoiceEvent(VERSION, {
    type,
    eventId: eventId(),
    customerEmail: customer.email,
    priceId: proPrice,
    amount: 4900,
    // As Stripe sends it from basil on: the webhook's invoice does not list its payments...
    paymentsIncluded: false,
    ...common,
    ...values,
  });
  // ...so a paid invoice comes with invoice_payment.paid, naming the payment (a later dispute points at it).
  const paidInvoice = (values: Parameters<typeof invoice>[1]) => [
    invoice('invoice.paid', values),
    invoicePaymentPaid(VERSION, { eventId: eventId(), created: values.created + 1, invoiceId: values.invoiceId, paymentIntentId: values.paymentIntentId, amount: 4900 }),
  ];
  const dispute = { disputeId: id('dp'), chargeId: id('ch', 'r3'), paymentIntentId: id('pi', 'r3') };

  const steps: DemoStep[] = [
    {
      title: 'Buy',
      at: t0,
      story: `${customer.name} buys ${plans.email.productName} Professional, monthly, through Stripe Checkout.`,
      events: [
        subscriptionEvent(VERSION, { type: 'customer.subscription.created', eventId: eventId(), created: t0, priceId: proPrice, periodStart: t0, periodEnd: p1, ...common }),
        checkoutCompleted(VERSION, {
          eventId: eventId(),
          created: t0 + 2,
          sessionId: id('cs'),
          mode: 'subscription',
          subscriptionId,
          customerId: customer.customerId,
          email: customer.email,
          name: customer.name,
          amountTotal: 4900,
          metadata: { to_product_id: plans.productId, to_license_tier: 'professional' },
        }),
        ...paidInvoice({ created: t0 + 3, invoiceId: id('in', '1'), billingReason: 'subscription_create', periodStart: t0, periodEnd: p1, paymentIntentId: id('pi', 'r1') }),
      ],
      expect: { licenseStatus: 'active', planId: proPlan, expiresAtLeast: p1, emails: ['license_delivered'] },
      explain: 'A license was created at Traffic Orchestrator (exactly one, whatever order the events arrive in) and its key e-mailed.',
    },
    {
      title: 'Renew',
      at: p1,
      story: 'A month later Stripe charges the card for the next month.',
      events: paidInvoice({ created: p1 + HOUR, invoiceId: id('in', '2'), billingReason: 'subscription_cycle', periodStart: p1, periodEnd: p2, paymentIntentId: id('pi', 'r2') }),
      expect: { licenseStatus: 'active', planId: proPlan, expiresAtLeast: p2, emails: [] },
      explain: "The license now runs to the end of the paid period (the invoice line's period end). No e-mail: Stripe sends the receipt.",
    },
    {
      title: 'Payment fails',
      at: p2,
      story: 'The next month the card is declined.',
      events: [invoice('invoice.payment_failed', { created: p2 + HOUR, invoiceId: id('in', '3'), billingReason: 'subscription_cycle', periodStart: p2, periodEnd: p3, paymentIntentId: dispute.paymentIntentId })],
      expect: {
        licenseStatus: 'active',
        planId: proPlan,
        expiresAtLeast: p2,
        emails: ['payment_failed'],
        ledger: (p) => (p.grace?.stage === 'warned' ? null : `grace stage should be "warned", is ${JSON.stringify(p.grace?.stage ?? null)}`),
      },
      explain: `Grace period started: the license stays active and the customer is asked to update the card. Unpaid, it would be limited on day ${plans.grace.downgradeDay} and suspended on day ${plans.grace.suspendDay} (the scheduled grace job).`,
    },
    {
      title: 'Payment recovered',
      at: p2 + 3 * DAY,
      story: "Three days later Stripe's retry succeeds.",
      events: paidInvoice({ created: p2 + 3 * DAY, invoiceId: id('in', '3'), billingReason: 'subscription_cycle', periodStart: p2, periodEnd: p3, paymentIntentId: dispute.paymentIntentId, attemptCount: 2 }),
      expect: {
        licenseStatus: 'active',
        planId: proPlan,
        expiresAtLeast: p3,
        emails: [],
        ledger: (p) => (p.grace === null ? null : `grace should have ended, is ${JSON.stringify(p.grace)}`),
      },
      explain: 'Grace ended and the license was extended through the new period.',
    },
    {
      title: 'Upgrade',
      at: p2 + 9 * DAY,
      story: `${customer.name} switches to Business.`,
      events: [subscriptionEvent(VERSION, {
        type: 'customer.subscription.updated',
        eventId: eventId(),
        created: p2 + 9 * DAY,
        priceId: businessPrice,
        previousPriceId: proPrice,
        periodStart: p2,
        periodEnd: p3,
        ...common,
      })],
      expect: { licenseStatus: 'active', planId: businessPlan, expiresAtLeast: p3, emails: ['plan_changed'] },
      explain: `The same license moved to the Business plan (${plans.tiers.business.maxDomains} domains); the customer was told.`,
    },
    {
      title: 'Dispute opened',
      at: p2 + 12 * DAY,
      story: "The customer's bank disputes the last payment (a chargeback).",
      events: [disputeEvent(VERSION, { type: 'charge.dispute.created', eventId: eventId(), created: p2 + 12 * DAY, status: 'needs_response', ...dispute })],
      expect: { licenseStatus: 'suspended', planId: businessPlan, emails: ['suspended'] },
      explain: 'The disputed payment was traced to the subscription and the license suspended while the dispute is open.',
    },
    {
      title: 'Dispute won',
      at: p2 + 26 * DAY,
      story: 'The merchant wins the dispute.',
      events: [disputeEvent(VERSION, { type: 'charge.dispute.closed', eventId: eventId(), created: p2 + 26 * DAY, status: 'won', ...dispute })],
      expect: { licenseStatus: 'active', planId: businessPlan, emails: ['reactivated'] },
      explain: 'The license is active again.',
    },
    {
      title: 'Cancel',
      at: p2 + 28 * DAY,
      story: `${customer.name} cancels; Stripe ends the subscription.`,
      events: [subscriptionEvent(VERSION, {
        type: 'customer.subscription.deleted',
        eventId: eventId(),
        created: p2 + 28 * DAY,
        priceId: businessPrice,
        periodStart: p2,
        periodEnd: p3,
        ...common,
      })],
      expect: {
        licenseStatus: 'revoked',
        emails: ['revoked'],
        ledger: (p) => (p.revoked === 'canceled' ? null : `ledger should say revoked (canceled), says ${JSON.stringify(p.revoked)}`),
      },
      explain: 'The license was revoked for good; a late or repeated event cannot bring it back.',
    },
  ];
  return { customer, purchaseId: subscriptionId, startsAt: t0, steps };
}
