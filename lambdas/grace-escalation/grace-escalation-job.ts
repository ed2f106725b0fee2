/**
 * The grace-escalation job's use case: move every purchase whose next dunning step is due
 * (day 3 reminder, day 7 downgrade, day 14 suspend; DESIGN §3) one run of the scheduler at a time.
 *
 *   ledger.listGraceDue(now) → for each purchase, one at a time: workflow.escalateGrace
 *
 * One purchase at a time keeps Traffic Orchestrator calls within its rate limits. A purchase that
 * fails (vendor down, e-mail refused for now) or is busy with a Stripe event stays due in the ledger,
 * so the next run picks it up: the job never needs its own retry state. It stops early when the
 * invocation runs out of time and leaves the rest for the next run.
 */
import { isProcessingError } from '../domain/errors';
import { METRIC } from '../observability/metric-names';
import type { Clock } from '../ports/clock';
import type { PurchaseLedger } from '../ports/purchase-ledger';
import type { MetricsSink } from '../observability/metrics-sink';
import type { PurchaseWorkflow, WorkflowLogger } from '../processor/purchase-workflow';

export interface GraceEscalationDeps {
  ledger: Pick<PurchaseLedger, 'listGraceDue'>;
  workflow: Pick<PurchaseWorkflow, 'escalateGrace'>;
  clock: Clock;
  metrics: MetricsSink;
  logger: WorkflowLogger;
}

export interface GraceEscalationRun {
  /** Recorded as the source of each ladder step in the purchase's audit history. */
  tickId: string;
  /** Milliseconds left before the invocation must end (Lambda's getRemainingTimeInMillis). */
  remainingMs(): number;
  /** Time one purchase may take; no new purchase is started with less than this left. */
  reserveMs: number;
}

/** What a run did for one purchase: what the lifecycle noted, the license calls made, the e-mails sent. */
export interface GraceStepReport {
  purchaseId: string;
  notes: string[];
  licenseActions: string[];
  emailsSent: string[];
}

export interface GraceEscalationSummary {
  tickId: string;
  due: number;
  /** Purchases moved to a later stage. */
  escalated: GraceStepReport[];
  /** Purchases whose step an earlier run recorded but could not carry out (e.g. TO was down), finished now. */
  finished: GraceStepReport[];
  /** Due in the index, but nothing to do once read under the lease (e.g. paid in the meantime). */
  unchanged: string[];
  /** Held by a worker processing a Stripe event; left for the next run. */
  busy: string[];
  failed: Array<{ purchaseId: string; reason: string; message: string }>;
  /** Not started because the run was out of time; left for the next run. */
  deferred: string[];
}

export async function runGraceEscalation(deps: GraceEscalationDeps, run: GraceEscalationRun): Promise<GraceEscalationSummary> {
  const { ledger, workflow, clock, metrics, logger } = deps;
  const due = await ledger.listGraceDue(Math.floor(clock.nowMs() / 1000));
  const summary: GraceEscalationSummary = {
    tickId: run.tickId, due: due.length, escalated: [], finished: [], unchanged: [], busy: [], failed: [], deferred: [],
  };
  metrics.count(METRIC.graceStepsDue, due.length);

  for (const [index, purchaseId] of due.entries()) {
    if (run.remainingMs() < run.reserveMs) {
      summary.deferred = due.slice(index);
      logger.warn('Out of time; the rest is left for the next run', { tickId: run.tickId, deferred: summary.deferred.length });
      break;
    }
    try {
      const result = await workflow.escalateGrace(purchaseId, run.tickId);
      const report = { purchaseId, notes: result.notes, licenseActions: result.actions, emailsSent: result.emailsSent };
      if (result.outcome === 'applied') summary.escalated.push(report);
      else if (result.actions.length > 0 || result.emailsSent.length > 0) summary.finished.push(report);
      else summary.unchanged.push(purchaseId);
    } catch (error) {
      if (isProcessingError(error) && error.reason === 'purchase_busy') {
        summary.busy.push(purchaseId);
        continue;
      }
      const reason = isProcessingError(error) ? error.reason : 'internal_error';
      const message = (error as Error)?.message ?? String(error);
      summary.failed.push({ purchaseId, reason, message });
      logger.error('Grace escalation failed; the purchase stays due and the next run tries again', { tickId: run.tickId, purchaseId, reason, error: message });
    }
  }

  metrics.count(METRIC.graceStepApplied, summary.escalated.length);
  metrics.count(METRIC.graceEscalationFailed, summary.failed.length);
  metrics.count(METRIC.graceEscalationDeferred, summary.busy.length + summary.deferred.length);
  logger.info('Grace escalation run finished', {
    tickId: run.tickId,
    due: summary.due,
    escalated: summary.escalated.length,
    finished: summary.finished.length,
    unchanged: summary.unchanged.length,
    busy: summary.busy.length,
    failed: summary.failed.length,
    deferred: summary.deferred.length,
  });
  return summary;
}
