/**
 * The reconciliation job's use case: find payments that never became a license (DESIGN §2, §7
 * "orphaned payments"), from Stripe's side.
 *
 *   Stripe Events API: paid checkouts in the window → for each, the ledger: licensed?
 *     yes → fine · no, and the event failed here → it waits in the DLQ (or in retries) with its reason
 *     no, and we never saw it (a lost webhook, an endpoint down past Stripe's retries) → enqueue it again
 *
 * Every orphan is counted (OrphanedPayment, alarmed at ≥ 1) and logged with its purchase, so on-call
 * hears of a lost webhook even when this job healed it. An event is only judged once it is older
 * than the settle time: until then it may simply be on its way through the queue.
 */
import type { CheckoutEvent } from '../domain/billing-event';
import { isProcessingError } from '../domain/errors';
import { checkoutPaymentStatus } from '../domain/lifecycle';
import { METRIC } from '../observability/metric-names';
import type { Clock } from '../ports/clock';
import type { EventQueue } from '../ports/event-queue';
import type { PurchaseLedger } from '../ports/purchase-ledger';
import type { StripeEventHistory } from '../ports/stripe-event-history';
import type { MetricsSink } from '../observability/metrics-sink';
import type { WorkflowLogger } from '../processor/purchase-workflow';
import { parseStripeEvent } from '../stripe/parse-event';

/** The events after which a purchase must have a license. */
export const PAYMENT_EVENT_TYPES = ['checkout.session.completed', 'checkout.session.async_payment_succeeded'] as const;

export interface ReconciliationDeps {
  history: StripeEventHistory;
  ledger: Pick<PurchaseLedger, 'get' | 'getFailure'>;
  queue: EventQueue;
  clock: Clock;
  metrics: MetricsSink;
  logger: WorkflowLogger;
}

export interface ReconciliationWindow {
  /** How far back to look, seconds (Stripe keeps events 30 days). */
  lookbackSeconds: number;
  /** Events younger than this are left for the next run (they may still be in the queue). */
  settleSeconds: number;
}

export type OrphanAction =
  /** Never seen here: enqueued again, the processor creates the license. */
  | 'requeued'
  /** Seen and failed: it waits in the queue's retries or the DLQ with its reason (`npm run ops -- dlq`). */
  | 'failed_here'
  /** Stripe's payload could not be read: nothing can be done automatically. */
  | 'unreadable';

export interface Orphan {
  eventId: string;
  eventType: string;
  purchaseId: string | null;
  action: OrphanAction;
  /** The failure reason when it failed here or could not be read. */
  reason: string | null;
}

export interface ReconciliationSummary {
  from: string;
  to: string;
  /** Payment events looked at. */
  checked: number;
  licensed: number;
  /** Checkouts still waiting for a delayed payment (`payment_status: unpaid`): no license expected yet. */
  notPaid: number;
  /** Checkouts that buy nothing (setup mode: a saved payment method): no license expected, ever. */
  notPurchases: number;
  orphaned: Orphan[];
}

export async function runReconciliation(deps: ReconciliationDeps, window: ReconciliationWindow): Promise<ReconciliationSummary> {
  const { history, ledger, queue, clock, metrics, logger } = deps;
  const to = Math.floor(clock.nowMs() / 1000) - window.settleSeconds;
  const from = to - window.lookbackSeconds;
  const summary: ReconciliationSummary = {
    from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), checked: 0, licensed: 0, notPaid: 0, notPurchases: 0, orphaned: [],
  };

  for await (const event of history.list(PAYMENT_EVENT_TYPES, from, to)) {
    summary.checked += 1;
    let checkout: CheckoutEvent;
    try {
      const parsed = parseStripeEvent(event.body);
      if (parsed.kind === 'no_purchase') {
        summary.notPurchases += 1;
        continue;
      }
      if (parsed.kind !== 'checkout') throw new Error(`expected a checkout event, got ${parsed.kind}`);
      checkout = parsed;
    } catch (error) {
      summary.orphaned.push({ eventId: event.id, eventType: event.type, purchaseId: null, action: 'unreadable', reason: isProcessingError(error) ? error.reason : 'unparseable_event' });
      continue;
    }
    // The lifecycle's own rule decides whether a license is due (an unpaid completion awaits its payment).
    if (checkoutPaymentStatus(checkout) !== 'paid') {
      summary.notPaid += 1;
      continue;
    }
    const state = await ledger.get(checkout.purchaseId);
    if (state?.license || state?.createIntent) {
      summary.licensed += 1;
      continue;
    }
    const failure = await ledger.getFailure(event.id);
    if (failure) {
      summary.orphaned.push({ eventId: event.id, eventType: event.type, purchaseId: checkout.purchaseId, action: 'failed_here', reason: failure.reason });
      continue;
    }
    await queue.enqueue({ eventId: event.id, eventType: event.type, created: event.created, body: event.body });
    summary.orphaned.push({ eventId: event.id, eventType: event.type, purchaseId: checkout.purchaseId, action: 'requeued', reason: null });
  }

  metrics.count(METRIC.paymentsReconciled, summary.checked);
  metrics.count(METRIC.orphanedPayment, summary.orphaned.length);
  metrics.count(METRIC.orphanedPaymentRequeued, summary.orphaned.filter((orphan) => orphan.action === 'requeued').length);
  for (const orphan of summary.orphaned) {
    logger.warn('Orphaned payment: paid at Stripe, no license here', { ...orphan });
  }
  logger.info('Reconciliation run finished', {
    from: summary.from, to: summary.to, checked: summary.checked, licensed: summary.licensed, notPaid: summary.notPaid, notPurchases: summary.notPurchases, orphaned: summary.orphaned.length,
  });
  return summary;
}
