/**
 * The processor's use case: apply one Stripe event (or one grace-ladder tick) to a purchase and
 * carry out what follows, exactly once per purchase at a time.
 *
 *   resolve purchase → take its lease → lifecycle decision (pure) → save facts + audit entry
 *   → reconcile the license at the vendor, one call at a time, saving after each
 *   → send queued e-mails (outbox) → release the lease
 *
 * Every step is safe to repeat: a retry (SQS redelivery, DLQ redrive, replay) finds the facts
 * already applied (the event id is remembered), plans only the vendor calls still missing, and
 * sends only the e-mails still in the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { BillingEvent, ParsedStripeEvent } from '../domain/billing-event';
import { ProcessingError, isProcessingError } from '../domain/errors';
import {
  applyEvent,
  escalateGrace,
  graceCheckDueAt,
  planLicenseActions,
  type Decision,
  type LicenseAction,
} from '../domain/lifecycle';
import type { PlansConfig } from '../domain/plans';
import type { AppliedLicense, EmailIntent, PurchaseState } from '../domain/purchase';
import type { Clock } from '../ports/clock';
import { LicenseProviderError, type LicenseProvider, type ProviderLicense } from '../ports/license-provider';
import { EmailSendError, type EmailMessage, type Notifier } from '../ports/notifier';
import type { PurchaseLedger } from '../ports/purchase-ledger';
import { METRIC } from '../observability/metric-names';
import type { MetricsSink } from '../observability/metrics-sink';
import { summarizePurchase } from './purchase-summary';

/** Turns a queued e-mail decision into a message, with the license key only where the template needs it. */
export type EmailComposer = (intent: EmailIntent, state: PurchaseState, plans: PlansConfig, nowMs: number) => EmailMessage;

/** The slice of a structured logger the processor uses (Powertools Logger fits it). */
export interface WorkflowLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface WorkflowDependencies {
  ledger: PurchaseLedger;
  licenses: LicenseProvider;
  notifier: Notifier;
  composeEmail: EmailComposer;
  plans: PlansConfig;
  clock: Clock;
  metrics: MetricsSink;
  logger: WorkflowLogger;
  /** How long a worker owns a purchase; longer than one Lambda invocation can run. */
  leaseMs: number;
}

export interface WorkflowResult {
  purchaseId: string | null;
  outcome: Decision['outcome'] | 'no_purchase';
  /** What the lifecycle decided, in words (the audit history has the same notes). */
  notes: string[];
  /** Vendor calls made in this run. */
  actions: LicenseAction['type'][];
  emailsSent: string[];
}

/** Never more vendor calls than this for one event: a plan that keeps growing is a bug, not a reason to loop. */
const MAX_ACTIONS_PER_RUN = 8;

export class PurchaseWorkflow {
  constructor(private readonly deps: WorkflowDependencies) {}

  /** Applies a parsed Stripe event. Throws ProcessingError (retryable or final) on failure. */
  async applyStripeEvent(event: ParsedStripeEvent): Promise<WorkflowResult> {
    if (event.kind === 'no_purchase') return this.recordNoPurchase(event, event.reason);
    const purchaseId = await this.resolvePurchaseId(event);
    if (!purchaseId) return this.recordNoPurchase(event, 'invoice without a subscription: not a licensed purchase');
    try {
      return await this.withPurchase(purchaseId, event.eventId, event.eventType, (state) => applyEvent(state, event, this.deps.plans), event.created);
    } catch (error) {
      if (isProcessingError(error)) error.purchaseId ??= purchaseId;
      throw error;
    }
  }

  /** An accepted event that concerns no licensed purchase: recorded, so nothing vanishes, and done. */
  private async recordNoPurchase(event: ParsedStripeEvent, reason: string): Promise<WorkflowResult> {
    await this.deps.ledger.recordNoop(event.eventId, event.eventType, reason, this.deps.clock.nowMs());
    this.deps.logger.info('Event concerns no purchase; recorded as a no-op', { eventId: event.eventId, eventType: event.eventType, reason });
    return { purchaseId: null, outcome: 'no_purchase', notes: [reason], actions: [], emailsSent: [] };
  }

  /** Moves a purchase along the dunning ladder if a step is due. */
  async escalateGrace(purchaseId: string, tickId: string): Promise<WorkflowResult> {
    return this.withPurchase(purchaseId, tickId, 'grace.tick', (state) => {
      if (!state) throw new ProcessingError('unknown_purchase', `grace tick for unknown purchase ${purchaseId}`);
      return escalateGrace(state, this.deps.plans, this.deps.clock.nowMs(), tickId);
    });
  }

  private async withPurchase(
    purchaseId: string,
    sourceId: string,
    sourceType: string,
    decide: (state: PurchaseState | null) => Decision,
    sourceCreated?: number,
  ): Promise<WorkflowResult> {
    const { ledger } = this.deps;
    const owner = randomUUID();
    const stored = await ledger.acquire(purchaseId, owner, this.deps.leaseMs);
    try {
      const decision = decide(stored);
      let state = decision.state;
      if (decision.outcome !== 'duplicate') {
        // Audit first: a crash between the two writes leaves an entry whose change is re-applied
        // on retry, never a change without its entry.
        await ledger.appendHistory({
          purchaseId,
          sourceId,
          sourceType,
          atMs: this.deps.clock.nowMs(),
          outcome: decision.outcome,
          notes: decision.notes,
          // Spread: the audit entry keeps a plain record (older entries may have another shape).
          before: stored ? { ...summarizePurchase(stored) } : null,
          after: { ...summarizePurchase(state) },
        });
        // Pointers before the state that lists them (idempotent puts), for the same reason.
        for (const ref of state.paymentRefs.filter((r) => !stored?.paymentRefs.includes(r))) await ledger.linkPaymentRef(purchaseId, ref);
        await this.save(state, owner);
      }
      this.deps.logger.info('Lifecycle decision', { purchaseId, sourceId, sourceType, outcome: decision.outcome, notes: decision.notes });

      const actions: LicenseAction['type'][] = [];
      state = await this.reconcileLicense(state, owner, sourceId, sourceCreated ?? state.firstSeenCreated, actions);
      const emailsSent: string[] = [];
      state = await this.flushOutbox(state, owner, emailsSent);
      return { purchaseId, outcome: decision.outcome, notes: decision.notes, actions, emailsSent };
    } finally {
      await ledger.release(purchaseId, owner);
    }
  }

  private async save(state: PurchaseState, owner: string): Promise<void> {
    await this.deps.ledger.save(state, owner, graceCheckDueAt(state, this.deps.plans, Math.floor(this.deps.clock.nowMs() / 1000)));
  }

  private async resolvePurchaseId(event: BillingEvent): Promise<string | null> {
    switch (event.kind) {
      case 'checkout': return event.purchaseId;
      case 'subscription': return event.subscriptionId;
      case 'invoice': return event.subscriptionId;
      case 'dispute':
      case 'refund':
      case 'invoice_payment': {
        // One-time purchases are keyed by their payment intent; subscription payments (and their
        // invoices, which invoice_payment.paid names) are found through the refs index.
        const refs = (event.kind === 'invoice_payment' ? [event.invoiceId] : [event.paymentIntentId, event.chargeId])
          .filter((r): r is string => Boolean(r));
        for (const ref of refs) if (await this.deps.ledger.get(ref)) return ref;
        for (const ref of refs) {
          const purchaseId = await this.deps.ledger.findPurchaseByPaymentRef(ref);
          if (purchaseId) return purchaseId;
        }
        throw new ProcessingError('unknown_purchase', `${event.eventType} ${event.eventId}: no purchase known for ${refs.join(' / ')}`);
      }
    }
  }

  private async reconcileLicense(
    initial: PurchaseState,
    owner: string,
    sourceId: string,
    sourceCreated: number,
    performed: LicenseAction['type'][],
  ): Promise<PurchaseState> {
    let state = initial;
    for (let step = 0; step < MAX_ACTIONS_PER_RUN; step++) {
      const [action] = planLicenseActions(state, this.deps.plans);
      if (!action) return state;
      state = await this.perform(action, state, owner, sourceId, sourceCreated);
      performed.push(action.type);
      await this.save(state, owner);
    }
    throw new ProcessingError('internal_error', `purchase ${state.purchaseId}: license plan did not settle after ${MAX_ACTIONS_PER_RUN} calls`);
  }

  private async perform(action: LicenseAction, current: PurchaseState, owner: string, sourceId: string, sourceCreated: number): Promise<PurchaseState> {
    const state = structuredClone(current);
    const license = state.license;
    const { licenses } = this.deps;
    if (action.type === 'create') return this.createLicense(state, action, owner, sourceId, sourceCreated);
    if (!license) throw new ProcessingError('internal_error', `${action.type} planned without a license`);

    await this.callVendor(action.type, async () => {
      switch (action.type) {
        case 'revoke':
          await licenses.revoke(license.licenseId);
          license.status = 'revoked';
          break;
        case 'suspend':
          await licenses.suspend(license.licenseId);
          license.status = 'suspended';
          break;
        case 'reactivate':
          await licenses.reactivate(license.licenseId);
          license.status = 'active';
          break;
        case 'extend':
          await licenses.extendTo(license.licenseId, new Date(action.expiresAt * 1000).toISOString());
          license.expiresAt = action.expiresAt;
          break;
        case 'set_domain_limit': {
          const { removed } = await licenses.setDomainLimit(license.licenseId, action.maxDomains);
          if (removed.length > 0) this.deps.logger.info('Domains removed to fit the new limit', { purchaseId: state.purchaseId, removed });
          license.maxDomains = action.maxDomains;
          break;
        }
        case 'change_plan': {
          const result = await licenses.changePlan(license.licenseId, action.planId, state.purchaseId);
          state.license = toAppliedLicense(result.license, action.tier, license.maxDomains, license.createdAtMs);
          state.license.status = license.status === 'suspended' ? 'suspended' : state.license.status;
          if (result.reissued) announceNewKey(state, sourceId);
          break;
        }
      }
    });
    return state;
  }

  /** Exactly one license per purchase: the intent is saved before the vendor call, and an unknown outcome is resolved by lookup. */
  private async createLicense(
    state: PurchaseState,
    action: Extract<LicenseAction, { type: 'create' }>,
    owner: string,
    sourceId: string,
    sourceCreated: number,
  ): Promise<PurchaseState> {
    const { licenses, metrics, logger } = this.deps;
    let created: ProviderLicense | null = null;
    if (state.createIntent) {
      // An earlier attempt got as far as the vendor call; it may have created the license.
      created = await this.callVendor('create', () => this.findExisting(state.purchaseId));
      if (created) logger.warn('Adopted the license an interrupted attempt created', { purchaseId: state.purchaseId, licenseId: created.licenseId });
    }
    if (!created) {
      state.createIntent = { eventId: sourceId, startedAtMs: this.deps.clock.nowMs() };
      await this.save(state, owner);
      try {
        created = await licenses.create({ purchaseRef: state.purchaseId, planId: action.planId });
      } catch (error) {
        if (error instanceof LicenseProviderError && error.outcomeUnknown) {
          created = await this.callVendor('create', () => this.findExisting(state.purchaseId));
        }
        if (!created) {
          metrics.count(METRIC.licenseCreationFailed);
          throw toProcessingError(error, 'create');
        }
        logger.warn('Create outcome was unknown; found the license at the vendor', { purchaseId: state.purchaseId, licenseId: created.licenseId });
      }
      metrics.count(METRIC.licenseCreated);
      metrics.milliseconds(METRIC.provisioningLatency, Math.max(0, this.deps.clock.nowMs() - sourceCreated * 1000));
    }
    state.license = toAppliedLicense(created, action.tier, action.maxDomains, this.deps.clock.nowMs());
    state.createIntent = null;
    logger.info('License issued', { purchaseId: state.purchaseId, licenseId: created.licenseId, planId: created.planId });
    return state;
  }

  private async findExisting(purchaseId: string): Promise<ProviderLicense | null> {
    const found = await this.deps.licenses.findByPurchaseRef(purchaseId);
    return found.find((license) => license.status !== 'revoked') ?? null;
  }

  private async callVendor<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toProcessingError(error, operation);
    }
  }

  private async flushOutbox(initial: PurchaseState, owner: string, sent: string[]): Promise<PurchaseState> {
    let state = initial;
    for (const intent of initial.outbox) {
      // E-mails about a license wait until the license exists (e.g. the vendor was down).
      if (!state.license && intent.template !== 'revoked') continue;
      if (!state.email) {
        this.deps.logger.warn('No customer e-mail on record; message dropped', { purchaseId: state.purchaseId, template: intent.template });
      } else {
        try {
          await this.deps.notifier.send(this.deps.composeEmail(intent, state, this.deps.plans, this.deps.clock.nowMs()));
          this.deps.metrics.count(METRIC.emailSent);
          sent.push(intent.template);
        } catch (error) {
          this.deps.metrics.count(METRIC.emailFailed);
          if (isRetryableEmailError(error)) throw new ProcessingError('internal_error', `e-mail ${intent.template} could not be sent yet`, { cause: error });
          this.deps.logger.error('E-mail rejected; message dropped', { purchaseId: state.purchaseId, template: intent.template, error: (error as Error).message });
        }
      }
      state = { ...state, outbox: state.outbox.filter((queued) => queued.id !== intent.id) };
      await this.save(state, owner);
    }
    return state;
  }
}

function toAppliedLicense(license: ProviderLicense, tier: string, maxDomains: number, createdAtMs: number): AppliedLicense {
  return {
    licenseId: license.licenseId,
    licenseKey: license.licenseKey,
    planId: license.planId,
    tier,
    maxDomains,
    status: license.status === 'suspended' ? 'suspended' : license.status === 'revoked' ? 'revoked' : 'active',
    expiresAt: license.expiresAt ? Math.floor(Date.parse(license.expiresAt) / 1000) : null,
    createdAtMs,
  };
}

/** A re-issued license has a new key: the customer must get it, whatever caused the plan change. */
function announceNewKey(state: PurchaseState, sourceId: string): void {
  const existing = state.outbox.find((intent) => intent.template === 'plan_changed');
  if (existing) existing.newKey = true;
  else state.outbox.push({ id: `${sourceId}:plan_changed`, template: 'plan_changed', newKey: true, previousTier: state.license?.tier });
}

function toProcessingError(error: unknown, operation: string): ProcessingError {
  if (error instanceof ProcessingError) return error;
  if (error instanceof LicenseProviderError) {
    if (!error.retryable) return new ProcessingError('license_provider_rejected', `license ${operation} rejected: ${error.code} (HTTP ${error.status ?? '-'})`, { cause: error });
    const reason = error.code === 'RATE_LIMITED' ? 'license_provider_throttled' : 'license_provider_unavailable';
    return new ProcessingError(reason, `license ${operation} failed: ${error.code}`, { cause: error });
  }
  return new ProcessingError('internal_error', `license ${operation} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Only a message the e-mail service refused for good is dropped; anything else is tried again with the event. */
function isRetryableEmailError(error: unknown): boolean {
  return !(error instanceof EmailSendError) || error.retryable;
}
