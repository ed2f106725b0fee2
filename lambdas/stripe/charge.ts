/** charge.dispute.* → DisputeEvent and charge.refunded → RefundEvent. */
import type { DisputeEvent, EventEnvelope, RefundEvent } from '../domain/billing-event';
import type { PayloadNode } from './payload-reader';

export function readDisputeEvent(
  envelope: EventEnvelope,
  dispute: PayloadNode,
  phase: DisputeEvent['phase'],
): DisputeEvent {  return {
    ...envelope,
    kind: 'dispute',
    phase,
    disputeId: dispute.string('id'),
    chargeId: dispute.id('charge'),
    paymentIntentId: dispute.optionalId('payment_intent'),
    status: dispute.string('status'),
  };
}

export function readRefundEvent(envelope: EventEnvelope, charge: PayloadNode): RefundEvent {
  return {
    ...envelope,
    kind: 'refund',
    chargeId: charge.string('id'),
    paymentIntentId: charge.optionalId('payment_intent'),
    // Required, not defaulted: reading a missing flag as "partial" would silently skip a revoke.
    fullyRefunded: charge.boolean('refunded'),
    amountRefunded: charge.number('amount_refunded'),
    amount: charge.number('amount'),
  };
}
