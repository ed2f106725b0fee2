/**
 * invoice_payment.paid → InvoicePaymentEvent: the invoice and the payment (payment intent, or a
 * charge when there is no payment intent) that paid it. basil and later only.
 */
import type { EventEnvelope, InvoicePaymentEvent, NoPurchaseEvent } from '../domain/billing-event';
import type { PayloadNode } from './payload-reader';

export function readInvoicePaymentEvent(envelope: EventEnvelope, invoicePayment: PayloadNode): InvoicePaymentEvent | NoPurchaseEvent {
  const invoiceId = invoicePayment.id('invoice');
  const payment = invoicePayment.child('payment');
  const paymentIntentId = payment.optionalId('payment_intent');
  const chargeId = payment.optionalId('charge');
  if (!paymentIntentId && !chargeId) {
    // e.g. an invoice paid out of band: no Stripe payment exists that a dispute or refund could name.
    return {
      ...envelope,
      kind: 'no_purchase',
      reason: `invoice payment ${invoicePayment.string('id')} of ${invoiceId} names no payment intent or charge (type ${payment.optionalString('type') ?? 'unknown'}): nothing to link`,
    };
  }
  return { ...envelope, kind: 'invoice_payment', invoiceId, paymentIntentId, chargeId };
}
