/**
 * What on-call asks at 3 a.m., answered from the DLQ and the ledger (docs/runbook.md):
 *   - what is in the DLQ, and why each event failed (the DLQ attribute or the ledger's failure record);
 *   - put these events back on the queue (after the cause is fixed);
 *   - what happened to this purchase (its facts, its license, its audit history; never the key);
 *   - what happened to this event.
 * Read-only but for `redrive`, which only moves messages; the processor does the rest.
 */
import type { FailureRecord, PurchaseLedger } from '../lambdas/ports/purchase-ledger';
import { summarizePurchase, type PurchaseSummary } from '../lambdas/processor/purchase-summary';
import type { DeadLetterMessage, DeadLetterQueue } from './sqs-dead-letter-queue';

export interface DeadLetterRow {
  eventId: string | null;
  eventType: string | null;
  /** Why it failed: the processor's reason, from the message or the ledger's failure record; null when neither knows. */
  reason: string | null;
  message: string | null;
  /** Processing attempts the ledger counted (retryable failures); null when no failure was recorded. */
  attempts: number | null;
  purchaseId: string | null;
  /** SQS's send time: when the event was first queued (SQS keeps it when it moves a message), or when the processor dead-lettered it. */
  enqueuedAt: string | null;
}

export type OpsLedger = Pick<PurchaseLedger, 'get' | 'history' | 'getFailure'>;

export async function listDeadLetters(dlq: DeadLetterQueue, ledger: OpsLedger): Promise<DeadLetterRow[]> {
  return Promise.all((await dlq.peek()).map((letter) => describeDeadLetter(letter, ledger)));
}

/**
 * Moves dead-lettered events back to the provisioning queue: those named, or all with `all`.
 * Throws before moving anything when a named event is not in the DLQ, so a typo moves nothing.
 */
export async function redriveDeadLetters(
  dlq: DeadLetterQueue,
  ledger: OpsLedger,
  selection: { eventIds: string[] } | { all: true },
): Promise<DeadLetterRow[]> {
  if ('eventIds' in selection) {
    if (selection.eventIds.length === 0) throw new OpsError('name at least one event (evt_…), or redrive all of them');
    const present = new Set((await dlq.peek()).map((letter) => letter.eventId));
    const missing = selection.eventIds.filter((id) => !present.has(id));
    if (missing.length > 0) throw new OpsError(`not in the DLQ: ${missing.join(', ')} (nothing was moved)`);
  }
  const wanted = 'eventIds' in selection ? new Set(selection.eventIds) : null;
  const moved = await dlq.redrive((letter) => wanted === null || (letter.eventId !== null && wanted.has(letter.eventId)));
  return Promise.all(moved.map((letter) => describeDeadLetter(letter, ledger)));
}

export interface PurchaseReport {
  purchaseId: string;
  customerId: string | null;
  email: string | null;
  summary: PurchaseSummary;
  /** E-mails decided but not sent yet (a retry sends them). */
  emailsWaiting: string[];
  history: Array<{ at: string; sourceId: string; sourceType: string; outcome: string; notes: string[] }>;
}

export async function describePurchase(ledger: OpsLedger, purchaseId: string): Promise<PurchaseReport | null> {
  const state = await ledger.get(purchaseId);
  if (!state) return null;
  const history = await ledger.history(purchaseId);
  return {
    purchaseId,
    customerId: state.customerId,
    email: state.email,
    summary: summarizePurchase(state),
    emailsWaiting: state.outbox.map((intent) => intent.template),
    history: history.map((entry) => ({
      at: new Date(entry.atMs).toISOString(), sourceId: entry.sourceId, sourceType: entry.sourceType, outcome: entry.outcome, notes: entry.notes,
    })),
  };
}

export interface EventReport {
  eventId: string;
  failure: (Omit<FailureRecord, 'firstAtMs' | 'lastAtMs'> & { firstAt: string; lastAt: string }) | null;
  inDeadLetterQueue: boolean;
}

export async function describeEvent(dlq: DeadLetterQueue, ledger: OpsLedger, eventId: string): Promise<EventReport> {
  const [failure, letters] = await Promise.all([ledger.getFailure(eventId), dlq.peek()]);
  return {
    eventId,
    failure: failure && {
      ...withoutTimes(failure),
      firstAt: new Date(failure.firstAtMs).toISOString(),
      lastAt: new Date(failure.lastAtMs).toISOString(),
    },
    inDeadLetterQueue: letters.some((letter) => letter.eventId === eventId),
  };
}

/** A mistake in what on-call asked for (not a failure of AWS): the CLI prints it and exits 1. */
export class OpsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}

async function describeDeadLetter(letter: DeadLetterMessage, ledger: OpsLedger): Promise<DeadLetterRow> {
  const failure = letter.eventId ? await ledger.getFailure(letter.eventId) : null;
  return {
    eventId: letter.eventId,
    eventType: letter.eventType ?? failure?.eventType ?? null,
    reason: letter.failureReason ?? failure?.reason ?? null,
    message: letter.failureMessage ?? failure?.message ?? null,
    attempts: failure?.attempts ?? null,
    purchaseId: failure?.purchaseId ?? null,
    enqueuedAt: letter.sentAtMs === null ? null : new Date(letter.sentAtMs).toISOString(),
  };
}

function withoutTimes(failure: FailureRecord): Omit<FailureRecord, 'firstAtMs' | 'lastAtMs'> {
  const { firstAtMs: _first, lastAtMs: _last, ...rest } = failure;
  return rest;
}
