/**
 * customer.subscription.* → SubscriptionEvent. Reads both period shapes: `current_period_end` on
 * the subscription (before 2025-03-31.basil) and per item `items.data[].current_period_end` (basil on).
 */
import type { EventEnvelope, SubscriptionEvent } from '../domain/billing-event';
import type { PayloadNode } from './payload-reader';

export function readSubscriptionEvent(
  envelope: EventEnvelope,
  subscription: PayloadNode,
  data: PayloadNode,
  change: SubscriptionEvent['change'],
): SubscriptionEvent {
  const items = subscription.listItems('items');
  const firstItem = items[0];
  return {
    ...envelope,
    kind: 'subscription',
    change,
    subscriptionId: subscription.string('id'),
    customerId: subscription.optionalId('customer') ?? subscription.optionalString('customer_account'),
    status: subscription.string('status'),
    priceId: firstItem === undefined ? null : firstItem.optionalId('price'),
    currentPeriodEnd: subscription.optionalNumber('current_period_end') ?? latestItemPeriodEnd(items),
    cancelAtPeriodEnd: subscription.optionalBoolean('cancel_at_period_end') ?? false,
    previousPriceId: readPreviousPriceId(data),
  };
}

/** basil+: each item has its own period; the subscription runs until the last of them ends. */
function latestItemPeriodEnd(items: PayloadNode[]): number | null {
  let latest: number | null = null;
  for (const item of items) {
    const end = item.optionalNumber('current_period_end');
    if (end !== null && (latest === null || end > latest)) latest = end;
  }
  return latest;
}

/** A price change shows as `previous_attributes.items` holding the item list as it was before. */
function readPreviousPriceId(data: PayloadNode): string | null {
  const previousItems = data.optionalChild('previous_attributes')?.optionalListItems('items');
  const first = previousItems?.[0];
  return first === undefined ? null : first.optionalId('price');
}
