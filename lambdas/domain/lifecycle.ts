/**
 * The license lifecycle: DESIGN §3 as pure functions. No AWS, HTTP or SDK imports.
 *
 *   applyEvent(state, event)   Stripe event → new facts (order-safe) + e-mails to send
 *   escalateGrace(state, now)  the dunning ladder, driven by the clock
 *   desiredLicense(state)      what the license at the vendor should look like now
 *   planLicenseActions(state)  the vendor calls that turn the applied license into the desired one
 *
 * Facts change only through `setFact`, which enforces the ordering rule: an event older than the
 * one that last set a fact does not overwrite it. Final events (subscription deleted, dispute
 * lost, full refund) revoke regardless of order, and nothing after them changes the license.
 */
import type { BillingEvent, CheckoutEvent, DisputeEvent, InvoiceEvent, InvoicePaymentEvent, RefundEvent, SubscriptionEvent } from './billing-event';
import { ProcessingError } from './errors';
import { tierForPrice, type PlansConfig } from './plans';
import {
  GRACE_STAGES,
  MAX_REMEMBERED_EVENT_IDS,
  anyDisputeSuspends,
  disputeSuspends,
  newPurchase,
  type DisputeFact,
  type EmailIntent,
  type FactName,
  type GraceStage,
  type PurchaseFacts,
  type PurchaseState,
  type RevokeReason,
} from './purchase';

export type DecisionOutcome =
  /** At least one fact changed. */
  | 'applied'
  /** Every change the event carried was older than what the ledger already knows. */
  | 'stale'
  /** Nothing to change (e.g. an inquiry, a partial refund, an event after revocation): audited only. */
  | 'recorded'
  /** This event id was already applied to the purchase. */
  | 'duplicate';

export interface Decision {
  state: PurchaseState;
  outcome: DecisionOutcome;
  /** Human-readable account of what the event meant; goes into the audit history. */
  notes: string[];
}

/** The license the facts call for; null when none should exist (not paid yet, or no tier known). */
export interface DesiredLicense {
  status: 'active' | 'suspended' | 'revoked';
  /** Effective tier: the free tier while dunning has downgraded the purchase. */
  tier: string;
  /** The tier the customer pays for (restored when dunning ends). */
  paidTier: string;
  planId: string;
  maxDomains: number;
  /** Unix seconds; null = perpetual or not known yet. */
  expiresAt: number | null;
  suspendReason: 'payment' | 'paused' | 'dispute' | null;
  downgraded: boolean;
  canceling: boolean;
}

export type LicenseAction =
  | { type: 'create'; planId: string; tier: string; maxDomains: number }
  | { type: 'revoke' }
  | { type: 'change_plan'; planId: string; tier: string }
  | { type: 'set_domain_limit'; maxDomains: number }
  | { type: 'extend'; expiresAt: number }
  | { type: 'suspend' }
  | { type: 'reactivate' };

/** Tracks whether setters changed anything or were all refused as older. */
class Change {
  private applied = 0;
  private refused = 0;
  readonly notes: string[] = [];

  constructor(readonly state: PurchaseState, readonly created: number) {}

  /**
   * The ordering rule: set `field` unless a newer event already set it. Equal times apply (Stripe's
   * clock has 1 s resolution). `recordOnly` facts (an inquiry, a partial refund) are kept for the
   * record but do not make the outcome 'applied'.
   */
  setFact<K extends FactName>(field: K, value: PurchaseFacts[K], note?: string, recordOnly = false): void {
    const stamp = this.state.stamps[field];
    if (stamp !== undefined && stamp > this.created) {
      this.refused += 1;
      this.notes.push(`${field}: ignored, a newer event (created ${stamp}) already set it`);
      return;
    }
    const changed = JSON.stringify(this.state.facts[field]) !== JSON.stringify(value);
    this.state.facts[field] = value;
    // The stamp moves even when the value is unchanged: a newer event confirmed it, so an older one must not undo it.
    this.state.stamps[field] = this.created;
    if (changed && !recordOnly) this.applied += 1;
    if (note && changed) this.notes.push(note);
  }

  /** The ordering rule for one dispute: its own last `created`, so disputes on different charges never shadow each other. */
  setDispute(disputeId: string, dispute: Pick<DisputeFact, 'status' | 'closed'>, note: string, recordOnly: boolean): void {
    const known = this.state.facts.disputes[disputeId];
    if (known && known.at > this.created) {
      this.refused += 1;
      this.notes.push(`dispute ${disputeId}: ignored, a newer event (created ${known.at}) already set it`);
      return;
    }
    this.state.facts.disputes = { ...this.state.facts.disputes, [disputeId]: { ...dispute, at: this.created } };
    if (known?.status !== dispute.status || (known?.closed ?? false) !== (dispute.closed ?? false)) {
      if (!recordOnly) this.applied += 1;
      this.notes.push(note);
    }
  }

  note(text: string): void {
    this.notes.push(text);
  }

  markApplied(): void {
    this.applied += 1;
  }

  outcome(): DecisionOutcome {
    if (this.applied > 0) return 'applied';
    return this.refused > 0 ? 'stale' : 'recorded';
  }
}

const FINAL_NOTE = 'license already revoked (final); event recorded only';

/**
 * Applies one Stripe event to a purchase. `current` is null when the ledger does not know the
 * purchase yet. Throws ProcessingError for bad business input (final) or when the event must wait
 * for another one (retryable, e.g. an invoice before its checkout).
 */
export function applyEvent(current: PurchaseState | null, event: BillingEvent, plans: PlansConfig): Decision {
  if (current?.appliedEventIds.includes(event.eventId)) {
    return { state: current, outcome: 'duplicate', notes: [`event ${event.eventId} was already applied`] };
  }
  const before = current ? clone(current) : null;
  const state = current ? clone(current) : createFor(event);
  const change = new Change(state, event.created);

  if (state.revoked && !isFinalEvent(event)) {
    change.note(FINAL_NOTE);
  } else {
    switch (event.kind) {
      case 'checkout': applyCheckout(change, event, plans); break;
      case 'subscription': applySubscription(change, event, plans); break;
      case 'invoice': applyInvoice(change, event); break;
      case 'dispute': applyDispute(change, event); break;
      case 'refund': applyRefund(change, event); break;
      case 'invoice_payment': applyInvoicePayment(change, event); break;
    }
  }

  rememberEvent(state, event.eventId);
  queueEmails(before, state, plans, event.eventId);
  return { state, outcome: change.outcome(), notes: change.notes };
}

/** Events that may create a ledger row; the others need the purchase to exist (else: retry later). */
function createFor(event: BillingEvent): PurchaseState {
  switch (event.kind) {
    case 'checkout':
      return newPurchase(event.purchaseId, event.mode === 'subscription' ? 'subscription' : 'one_time', event.created);
    case 'subscription':
      return newPurchase(event.subscriptionId, 'subscription', event.created);
    default:
      throw new ProcessingError('unknown_purchase', `${event.eventType} ${event.eventId} refers to a purchase the ledger does not know yet`);
  }
}

function isFinalEvent(event: BillingEvent): boolean {
  return (event.kind === 'subscription' && event.change === 'deleted')
    || (event.kind === 'dispute' && event.phase === 'closed' && event.status === 'lost')
    || (event.kind === 'refund' && event.fullyRefunded);
}

function revoke(change: Change, reason: RevokeReason, eventId: string): void {
  const { state } = change;
  if (state.revoked) {
    change.note(`already revoked (${state.revoked.reason}); ${reason} recorded only`);
    return;
  }
  state.revoked = { reason, at: change.created, eventId };
  change.markApplied();
  change.note(`revoked: ${reason} (final)`);
}

function applyCheckout(change: Change, event: CheckoutEvent, plans: PlansConfig): void {
  const { state } = change;
  state.customerId = event.contact.customerId ?? state.customerId;
  state.email = event.contact.email ?? state.email;
  state.name = event.contact.name ?? state.name;
  if (event.paymentIntentId) addPaymentRef(state, event.paymentIntentId);

  const ordered = readCheckoutMetadata(event, plans);
  if (ordered) {
    change.setFact('tier', ordered.tier, `tier ${ordered.tier} from Checkout metadata`);
    change.setFact('maxDomainsOverride', ordered.maxDomainsOverride);
  }

  const status = checkoutPaymentStatus(event);
  change.setFact('checkout', status, {
    paid: 'payment confirmed: license to be issued',
    awaiting_payment: 'checkout completed, payment pending (asynchronous method): nothing issued yet',
    payment_failed: 'asynchronous payment failed: no license',
  }[status]);

  if (state.facts.checkout === 'paid' && !state.revoked) {
    if (!state.facts.tier) {
      throw new ProcessingError('tier_not_known_yet', `checkout ${event.sessionId} has no to_license_tier metadata and the subscription's price is not known yet`);
    }
    if (!state.email) {
      throw new ProcessingError('missing_customer_email', `checkout ${event.sessionId} has no customer e-mail: the license key could not be delivered`);
    }
  }
}

/** Validates the to_* metadata against the plans config. Returns null when the session carries none (subscriptions may rely on the price). */
function readCheckoutMetadata(event: CheckoutEvent, plans: PlansConfig): { tier: string; maxDomainsOverride: number | null } | null {
  const { productId, tier, maxDomains } = event.metadata;
  const hasAny = productId !== undefined || tier !== undefined || maxDomains !== undefined;
  if (!hasAny && event.mode === 'subscription') return null;
  const missing = [productId === undefined && 'to_product_id', tier === undefined && 'to_license_tier'].filter(Boolean);
  if (missing.length > 0) {
    throw new ProcessingError('missing_license_metadata', `checkout ${event.sessionId} lacks metadata ${missing.join(', ')}`);
  }
  if (productId !== plans.productId) {
    throw new ProcessingError('product_mismatch', `checkout ${event.sessionId} to_product_id "${productId}" is not this product ("${plans.productId}")`);
  }
  const tierConfig = plans.tiers[tier as string];
  if (!tierConfig) {
    throw new ProcessingError('unknown_tier', `checkout ${event.sessionId} to_license_tier "${tier}" is not a configured tier (${Object.keys(plans.tiers).join(', ')})`);
  }
  let maxDomainsOverride: number | null = null;
  if (maxDomains !== undefined) {
    const parsed = /^\d+$/.test(maxDomains.trim()) ? Number(maxDomains) : NaN;
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new ProcessingError('invalid_max_domains', `checkout ${event.sessionId} to_max_domains "${maxDomains}" is not a positive integer`);
    }
    if (parsed !== tierConfig.maxDomains) maxDomainsOverride = parsed;
  }
  return { tier: tier as string, maxDomainsOverride };
}

function applySubscription(change: Change, event: SubscriptionEvent, plans: PlansConfig): void {
  const { state } = change;
  state.customerId = event.customerId ?? state.customerId;

  switch (event.change) {
    case 'deleted':
      revoke(change, 'canceled', event.eventId);
      return;
    case 'paused':
      change.setFact('paused', true, 'subscription paused: license suspended, data kept');
      return;
    case 'resumed':
      change.setFact('paused', false, 'subscription resumed');
      return;
    case 'created':
    case 'updated': {
      const tier = tierForPrice(plans, event.priceId);
      const priceChanged = event.change === 'updated' && event.previousPriceId !== null && event.previousPriceId !== event.priceId;
      if (tier) {
        if (priceChanged || event.change === 'updated' || state.facts.tier === null) {
          if (tier !== state.facts.tier && state.facts.tier !== null) {
            // A domain limit agreed at checkout belonged to the old tier; the new tier brings its own.
            change.setFact('maxDomainsOverride', null);
          }
          change.setFact('tier', tier, `tier ${state.facts.tier ?? '(none)'} → ${tier} (price ${event.priceId})`);
        }
      } else if (priceChanged || state.facts.tier === null) {
        throw new ProcessingError('unknown_price', `subscription ${event.subscriptionId} price "${event.priceId}" has no tier in the plans config`);
      }
      if (event.currentPeriodEnd !== null) change.setFact('periodEnd', event.currentPeriodEnd);
      change.setFact('cancelAtPeriodEnd', event.cancelAtPeriodEnd,
        event.cancelAtPeriodEnd ? 'canceling at period end: access kept until then' : 'no longer canceling');
      return;
    }
  }
}

/**
 * What a checkout event says of its payment: paid (or nothing to pay) means a license is due
 * (DESIGN §3). The reconciliation job asks the same question of Stripe's record.
 */
export function checkoutPaymentStatus(event: CheckoutEvent): 'paid' | 'awaiting_payment' | 'payment_failed' {
  if (event.phase === 'async_failed') return 'payment_failed';
  return event.phase === 'async_succeeded' || event.paymentStatus !== 'unpaid' ? 'paid' : 'awaiting_payment';
}

function applyInvoice(change: Change, event: InvoiceEvent): void {
  const { state } = change;
  // invoice_payment.paid names the invoice, not the subscription: this is how it finds the purchase.
  addPaymentRef(state, event.invoiceId);
  if (event.paymentIntentId) addPaymentRef(state, event.paymentIntentId);
  if (event.chargeId) addPaymentRef(state, event.chargeId);
  state.email = state.email ?? event.customerEmail;

  if (event.outcome === 'payment_failed') {
    if (state.facts.checkout !== 'paid') {
      change.note('payment failed before the purchase was paid: nothing issued, nothing to do');
      return;
    }
    if (state.facts.grace) {
      // Grace keeps its start (the ladder runs from the first failure); the newer failure still
      // stamps it, so an older success arriving late cannot end it.
      change.setFact('grace', state.facts.grace);
      change.note(`payment failed again (attempt ${event.attemptCount ?? '?'}); grace already running since ${state.facts.grace.startedAt}`);
      return;
    }
    change.setFact('grace', { startedAt: event.created, stage: 'warned' }, 'payment failed: grace period started, license stays active');
    return;
  }

  const reason = event.billingReason;
  if (reason === 'subscription_cycle' || reason === 'subscription_update') {
    if (state.facts.checkout !== 'paid') {
      throw new ProcessingError('license_not_created_yet', `${reason} invoice ${event.invoiceId} arrived before the purchase's checkout`);
    }
    if (event.linePeriodEnd === null) {
      throw new ProcessingError('unsupported_payload_shape', `invoice ${event.invoiceId} has no subscription line period end`);
    }
    change.setFact('periodEnd', event.linePeriodEnd, `paid through ${isoDate(event.linePeriodEnd)}`);
    clearGrace(change);
    return;
  }
  if (reason === 'subscription_create') {
    // The first invoice of a subscription: Checkout issues the license, this only confirms the period.
    if (event.linePeriodEnd !== null) change.setFact('periodEnd', event.linePeriodEnd, `first invoice paid through ${isoDate(event.linePeriodEnd)} (license comes from checkout)`);
    clearGrace(change);
    return;
  }
  change.note(`invoice with billing_reason ${reason ?? '(none)'}: recorded only`);
}

function clearGrace(change: Change): void {
  const { grace } = change.state.facts;
  change.setFact('grace', null, grace ? `payment succeeded: grace (${grace.stage}) ended, tier and status restored` : undefined);
}

function applyDispute(change: Change, event: DisputeEvent): void {
  addPaymentRef(change.state, event.chargeId);
  if (event.phase === 'closed' && event.status === 'lost') {
    revoke(change, 'dispute_lost', event.eventId);
    return;
  }
  const dispute = { status: event.status, closed: event.phase === 'closed' };
  const suspends = disputeSuspends(dispute);
  const note = event.phase === 'created'
    ? (suspends ? `dispute ${event.disputeId} opened: license suspended` : `inquiry ${event.disputeId} (${event.status}): recorded, license untouched`)
    : `dispute ${event.disputeId} closed (${event.status})`;
  // An inquiry that opens (or closes) while no real dispute is involved changes nothing for the license.
  const known = change.state.facts.disputes[event.disputeId];
  const recordOnly = !suspends && !(known && disputeSuspends(known));
  change.setDispute(event.disputeId, dispute, note, recordOnly);
}

/** Links the payment that paid one of the purchase's invoices, so its disputes and refunds find the purchase. */
function applyInvoicePayment(change: Change, event: InvoicePaymentEvent): void {
  const refs = [event.paymentIntentId, event.chargeId].filter((ref): ref is string => ref !== null);
  const added = refs.filter((ref) => !change.state.paymentRefs.includes(ref));
  for (const ref of refs) addPaymentRef(change.state, ref);
  change.note(added.length > 0
    ? `payment ${added.join(' / ')} of invoice ${event.invoiceId} linked (for later disputes and refunds)`
    : `payment of invoice ${event.invoiceId} already linked`);
}

function applyRefund(change: Change, event: RefundEvent): void {
  addPaymentRef(change.state, event.chargeId);
  if (event.fullyRefunded) {
    revoke(change, 'refunded', event.eventId);
    return;
  }
  change.setFact('refundedAmount', event.amountRefunded, `partial refund (${event.amountRefunded} of ${event.amount}): recorded, license untouched`, true);
}

/**
 * The dunning ladder (DESIGN §3): days from the first failed payment decide the stage; the
 * scheduler calls this with the clock. A stage is never skipped backwards; when the job was late
 * and several stages are due, the purchase jumps to the latest one (one e-mail, for that stage).
 */
export function escalateGrace(current: PurchaseState, plans: PlansConfig, nowMs: number, tickId: string): Decision {
  const grace = current.facts.grace;
  if (!grace || current.revoked) return { state: current, outcome: 'recorded', notes: ['not in grace'] };
  const due = graceStageAt(grace.startedAt, plans, nowMs);
  if (GRACE_STAGES.indexOf(due) <= GRACE_STAGES.indexOf(grace.stage)) {
    return { state: current, outcome: 'recorded', notes: [`grace stage ${grace.stage}: nothing due yet`] };
  }
  const state = clone(current);
  // Time moves the stage, not a Stripe event: the stamp of `grace` is left as it is.
  state.facts.grace = { ...grace, stage: due };
  queueEmails(current, state, plans, tickId);
  return { state, outcome: 'applied', notes: [`grace ${grace.stage} → ${due}`] };
}

export function graceStageAt(startedAt: number, plans: PlansConfig, nowMs: number): GraceStage {
  const days = (nowMs / 1000 - startedAt) / 86_400;
  if (days >= plans.grace.suspendDay) return 'suspended';
  if (days >= plans.grace.downgradeDay) return 'downgraded';
  if (days >= plans.grace.reminderDay) return 'reminded';
  return 'warned';
}

/** When the next ladder step is due (Unix seconds), or null when none is. */
export function nextGraceStepAt(state: PurchaseState, plans: PlansConfig): number | null {
  const grace = state.facts.grace;
  if (!grace || state.revoked) return null;
  const days = { warned: plans.grace.reminderDay, reminded: plans.grace.downgradeDay, downgraded: plans.grace.suspendDay, suspended: null }[grace.stage];
  return days === null ? null : grace.startedAt + days * 86_400;
}

/**
 * When the grace-escalation job should next look at the purchase (Unix seconds), or null: the
 * next ladder step, or `nowSeconds` while a purchase in grace still has license changes or e-mails
 * pending. The latter keeps a step whose vendor call failed (TO down) due, so the next run finishes
 * it instead of leaving the license on the old stage until the following step.
 */
export function graceCheckDueAt(state: PurchaseState, plans: PlansConfig, nowSeconds: number): number | null {
  const next = nextGraceStepAt(state, plans);
  if (!state.facts.grace || state.revoked) return next;
  let pending = state.outbox.length > 0;
  try {
    pending ||= planLicenseActions(state, plans).length > 0;
  } catch {
    // A plan that cannot be computed (e.g. a tier missing from the config) fails the processing
    // that follows with its named reason; the job retrying it every run would only repeat that.
  }
  return pending ? Math.min(nowSeconds, next ?? nowSeconds) : next;
}

export function desiredLicense(state: PurchaseState, plans: PlansConfig): DesiredLicense | null {
  const { facts } = state;
  if (facts.checkout !== 'paid' || !facts.tier) return null;
  const paidTier = facts.tier;
  const stage = facts.grace?.stage;
  const downgraded = stage === 'downgraded' || stage === 'suspended';
  const tier = downgraded ? plans.freeTier : paidTier;
  const tierConfig = plans.tiers[tier];
  if (!tierConfig) throw new ProcessingError('unknown_tier', `tier "${tier}" of purchase ${state.purchaseId} is not in the plans config`);
  const maxDomains = downgraded ? tierConfig.maxDomains : (facts.maxDomainsOverride ?? tierConfig.maxDomains);
  const suspendReason = facts.paused ? 'paused' : anyDisputeSuspends(facts.disputes) ? 'dispute' : stage === 'suspended' ? 'payment' : null;
  return {
    status: state.revoked ? 'revoked' : suspendReason ? 'suspended' : 'active',
    tier,
    paidTier,
    planId: tierConfig.planId,
    maxDomains,
    expiresAt: state.kind === 'one_time' ? null : facts.periodEnd,
    suspendReason,
    downgraded,
    canceling: facts.cancelAtPeriodEnd,
  };
}

/**
 * The vendor calls that make the applied license match the desired one, in a safe order. After a
 * `create`, call again: the follow-ups (e.g. suspend a license whose dispute arrived first) are
 * planned against the newly created license.
 */
export function planLicenseActions(state: PurchaseState, plans: PlansConfig): LicenseAction[] {
  const desired = desiredLicense(state, plans);
  const applied = state.license;
  if (state.revoked) return applied && applied.status !== 'revoked' ? [{ type: 'revoke' }] : [];
  if (!desired) return [];
  if (!applied) return [{ type: 'create', planId: desired.planId, tier: desired.tier, maxDomains: desired.maxDomains }];

  const actions: LicenseAction[] = [];
  if (applied.planId !== desired.planId) actions.push({ type: 'change_plan', planId: desired.planId, tier: desired.tier });
  if (applied.maxDomains !== desired.maxDomains) actions.push({ type: 'set_domain_limit', maxDomains: desired.maxDomains });
  if (desired.expiresAt !== null && applied.expiresAt !== null && desired.expiresAt > applied.expiresAt) {
    actions.push({ type: 'extend', expiresAt: desired.expiresAt });
  }
  if (desired.status !== applied.status) actions.push({ type: desired.status === 'suspended' ? 'suspend' : 'reactivate' });
  return actions;
}

/**
 * E-mails follow from what changed for the customer, not from the event type: the same rule
 * covers a dispute, a pause and the dunning ladder, and a stale or duplicate event sends nothing.
 */
function queueEmails(before: PurchaseState | null, after: PurchaseState, plans: PlansConfig, sourceId: string): void {
  const was = before ? desiredLicense(before, plans) : null;
  const now = desiredLicense(after, plans);
  const emails: Omit<EmailIntent, 'id'>[] = [];

  if (after.revoked) {
    if (!before?.revoked && (was || after.license)) emails.push({ template: 'revoked', revokeReason: after.revoked.reason });
  } else if (now && !was) {
    emails.push({ template: 'license_delivered' });
  } else if (now && was) {
    const graceBefore = before?.facts.grace ?? null;
    const graceAfter = after.facts.grace;
    if (!graceBefore && graceAfter) emails.push({ template: 'payment_failed' });
    if (was.status === 'active' && now.status === 'suspended') {
      emails.push({ template: 'suspended', suspendReason: now.suspendReason ?? 'payment' });
    } else if (!was.downgraded && now.downgraded) {
      emails.push({ template: 'downgraded' });
    } else if (graceAfter?.stage === 'reminded' && graceBefore?.stage !== 'reminded') {
      emails.push({ template: 'payment_reminder' });
    }
    if ((was.status === 'suspended' || was.downgraded) && now.status === 'active' && !now.downgraded) {
      emails.push({ template: 'reactivated' });
    }
    if (was.paidTier !== now.paidTier) emails.push({ template: 'plan_changed', previousTier: was.paidTier });
  }
  for (const email of emails) {
    const id = `${sourceId}:${email.template}`;
    if (!after.outbox.some((queued) => queued.id === id)) after.outbox.push({ id, ...email });
  }
}

function rememberEvent(state: PurchaseState, eventId: string): void {
  state.appliedEventIds = [...state.appliedEventIds, eventId].slice(-MAX_REMEMBERED_EVENT_IDS);
}

function addPaymentRef(state: PurchaseState, ref: string): void {
  if (!state.paymentRefs.includes(ref)) state.paymentRefs = [...state.paymentRefs, ref];
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}
