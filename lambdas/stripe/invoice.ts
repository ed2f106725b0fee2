/**
 * invoice.* → InvoiceEvent, for both invoice shapes:
 *
 * | need                | before 2025-03-31.basil          | basil and later                                   |
 * |---------------------|----------------------------------|---------------------------------------------------|
 * | subscription        | `invoice.subscription`           | `invoice.parent.subscription_details.subscription` |
 * | subscription line   | `line.subscription` / type       | `line.parent.subscription_item_details`           |
 * | line price          | `line.price.id`                  | `line.pricing.price_details.price`                |
 * | payment references  | `invoice.payment_intent`/`charge` | `invoice.payments.data[].payment` (when included) |
 */
import type { EventEnvelope, InvoiceEvent } from '../domain/billing-event';
import type { PayloadNode } from './payload-reader';

export function readInvoiceEvent(
  envelope: EventEnvelope,
  invoice: PayloadNode,
  outcome: InvoiceEvent['outcome'],
): InvoiceEvent {
  const lines = invoice.listItems('lines');
  if (lines.length === 0) {
    invoice.child('lines').fail('data', 'is empty: an invoice without lines has no period to extend to');
  }
  const subscriptionLine = pickSubscriptionLine(lines);
  const payments = readPaymentReferences(invoice);

  return {
    ...envelope,
    kind: 'invoice',
    outcome,
    invoiceId: invoice.string('id'),
    subscriptionId:
      invoice.optionalId('subscription') ??
      invoice.optionalChild('parent')?.optionalChild('subscription_details')?.optionalId('subscription') ??
      null,
    customerId: invoice.optionalId('customer') ?? invoice.optionalString('customer_account'),
    customerEmail: invoice.optionalString('customer_email'),
    billingReason: invoice.optionalString('billing_reason'),
    // The paid line's period, never the invoice's own period_start/period_end: on a renewal those
    // describe the period that just ended, not the one that was paid for.
    linePeriodEnd: subscriptionLine ? periodEnd(subscriptionLine.line) : Math.max(...lines.map(periodEnd)),
    linePriceId: subscriptionLine ? linePrice(subscriptionLine.line) : null,
    attemptCount: invoice.optionalNumber('attempt_count'),
    paymentIntentId: invoice.optionalId('payment_intent') ?? payments.paymentIntentId,
    chargeId: invoice.optionalId('charge') ?? payments.chargeId,
    hostedInvoiceUrl: invoice.optionalString('hosted_invoice_url'),
  };
}

interface SubscriptionLine {
  line: PayloadNode;
  proration: boolean;
  amount: number | null;
  periodEnd: number;
}

/**
 * The line that pays for the subscription period. A plan change puts proration lines next to it
 * (a credit for unused time on the old price, a charge for the rest of the period, and when the
 * interval changes a full line for the new period), so: prefer a regular (non-proration) line,
 * then a non-negative proration; among those the one that reaches furthest.
 */
function pickSubscriptionLine(lines: PayloadNode[]): SubscriptionLine | null {
  const candidates: SubscriptionLine[] = [];
  for (const line of lines) {
    const itemDetails = line.optionalChild('parent')?.optionalChild('subscription_item_details') ?? null;
    const isSubscriptionLine =
      itemDetails !== null || line.optionalId('subscription') !== null || line.optionalString('type') === 'subscription';
    if (!isSubscriptionLine) continue;
    candidates.push({
      line,
      proration: itemDetails?.optionalBoolean('proration') ?? line.optionalBoolean('proration') ?? false,
      amount: line.optionalNumber('amount'),
      periodEnd: periodEnd(line),
    });
  }
  const regular = candidates.filter((c) => !c.proration);
  const nonNegative = candidates.filter((c) => c.amount === null || c.amount >= 0);
  const pool = regular.length > 0 ? regular : nonNegative.length > 0 ? nonNegative : candidates;
  let best: SubscriptionLine | null = null;
  for (const candidate of pool) {
    if (best === null || candidate.periodEnd > best.periodEnd) best = candidate;
  }
  return best;
}

function periodEnd(line: PayloadNode): number {
  return line.child('period').number('end');
}

function linePrice(line: PayloadNode): string | null {
  return (
    line.optionalId('price') ??
    line.optionalChild('pricing')?.optionalChild('price_details')?.optionalId('price') ??
    null
  );
}

/**
 * basil removed `invoice.payment_intent`/`charge`; the references live in the `payments` list,
 * which webhooks only carry when it was included. A settled payment is preferred over an open one.
 */
function readPaymentReferences(invoice: PayloadNode): { paymentIntentId: string | null; chargeId: string | null } {
  const payments = invoice.optionalListItems('payments') ?? [];
  const ordered = [
    ...payments.filter((p) => p.optionalString('status') === 'paid'),
    ...payments.filter((p) => p.optionalString('status') !== 'paid'),
  ];
  let paymentIntentId: string | null = null;
  let chargeId: string | null = null;
  for (const entry of ordered) {
    const payment = entry.optionalChild('payment');
    paymentIntentId ??= payment?.optionalId('payment_intent') ?? null;
    chargeId ??= payment?.optionalId('charge') ?? null;
  }
  return { paymentIntentId, chargeId };
}
