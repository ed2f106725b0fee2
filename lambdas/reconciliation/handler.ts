/**
 * Reconciliation Lambda: EventBridge Scheduler → Stripe's paid checkouts vs the ledger. A thin
 * adapter: the runtime is built once per cold start (configuration validated, adapters created).
 */
import { builtOnFirstCall } from '../config/cold-start';
import type { ReconciliationSummary } from './reconciliation-job';
import { readReconciliationConfig } from './reconciliation-config';
import { createReconciliationHandler } from './runtime';

export const handler = builtOnFirstCall<unknown, ReconciliationSummary>(() => createReconciliationHandler(readReconciliationConfig()));
