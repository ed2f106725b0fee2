/**
 * The ledger's view of one purchase: the system of record for everything Stripe-related
 * (Traffic Orchestrator only knows a license id, key, plan, status and expiry).
 *
 * Business facts are order-sensitive: each carries the Stripe `created` of the event that last set
 * it (`stamps`), and an older event never overwrites a newer one (DESIGN §3). The license that
 * exists at Traffic Orchestrator is recorded separately (`license`): the processor compares what
 * the facts say the license should be (desiredLicense) with what was last applied, and acts on the
 * difference, so a retry after a partial failure simply continues.
 */

export type PurchaseKind = 'subscription' | 'one_time';

/** Where the money stands for the purchase's first payment (Checkout). */
export type CheckoutStatus = 'unknown' | 'awaiting_payment' | 'paid' | 'payment_failed';

/** Dunning ladder stages, in order. */
export const GRACE_STAGES = ['warned', 'reminded', 'downgraded', 'suspended'] as const;
export type GraceStage = (typeof GRACE_STAGES)[number];

export interface GraceState {
  /** Unix seconds: `created` of the first failed payment of the current period. */
  startedAt: number;
  stage: GraceStage;
}

/** One dispute as last seen; a purchase can have several (one per disputed charge). */
export interface DisputeFact {
  /** Stripe dispute status: warning_needs_response, needs_response, won, lost, warning_closed, … */
  status: string;
  /** Stripe `created` of the event that set this status (disputes are ordered one by one). */
  at: number;
  /**
   * Set by charge.dispute.closed, whatever its status: Stripe closes disputes with statuses beyond
   * won/lost (`prevented`, `charge_refunded`, …), and none of them may keep a license suspended.
   * Absent on records written before it existed; their status alone tells.
   */
  closed?: boolean;
}

export type RevokeReason = 'canceled' | 'dispute_lost' | 'refunded';

/** Order-sensitive facts, each stamped with the `created` of the event that set it. */
export interface PurchaseFacts {
  checkout: CheckoutStatus;
  tier: string | null;
  /** Domain limit from Checkout metadata, when it differs from the tier's default. */
  maxDomainsOverride: number | null;
  /** Subscription current period end (Unix seconds) = license expiry; null for one-time purchases. */
  periodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  paused: boolean;
  /** By dispute id. Stamped per dispute (inside each entry), not through `stamps`. */
  disputes: Record<string, DisputeFact>;
  grace: GraceState | null;
  refundedAmount: number;
}

export type FactName = keyof PurchaseFacts;

/** Final state: once revoked, nothing brings the license back. */
export interface Revocation {
  reason: RevokeReason;
  /** Stripe `created` of the final event. */
  at: number;
  eventId: string;
}

/** The license as it exists at the license vendor, i.e. as last applied. */
export interface AppliedLicense {
  licenseId: string;
  /** Secret. Stored (encrypted at rest) because e-mails need it; never logged. */
  licenseKey: string;
  planId: string;
  tier: string;
  maxDomains: number;
  status: 'active' | 'suspended' | 'revoked';
  /** Unix seconds, null = perpetual. */
  expiresAt: number | null;
  /** Unix milliseconds when it was created. */
  createdAtMs: number;
}

/** Written before the vendor's create call; a later attempt that finds it looks the purchase up first. */
export interface CreateIntent {
  eventId: string;
  startedAtMs: number;
}

/** A customer e-mail the lifecycle decided on; rendered and sent by the processor (outbox). */
export interface EmailIntent {
  /** `<eventId>:<template>`: stable across retries, so a resend is recognizable. */
  id: string;
  template: EmailTemplateName;
  suspendReason?: 'payment' | 'paused' | 'dispute';
  revokeReason?: RevokeReason;
  /** For plan_changed: the tier before the change. */
  previousTier?: string;
  /** For plan_changed: the vendor re-issued the license, so the message carries the new key. */
  newKey?: boolean;
}

export type EmailTemplateName =
  | 'license_delivered'
  | 'payment_failed'
  | 'payment_reminder'
  | 'downgraded'
  | 'suspended'
  | 'reactivated'
  | 'revoked'
  | 'plan_changed';

export interface PurchaseState {
  purchaseId: string;
  kind: PurchaseKind;
  customerId: string | null;
  email: string | null;
  name: string | null;
  facts: PurchaseFacts;
  stamps: Partial<Record<FactName, number>>;
  revoked: Revocation | null;
  license: AppliedLicense | null;
  createIntent: CreateIntent | null;
  /** E-mails decided but not yet sent. */
  outbox: EmailIntent[];
  /** Payment intents and charges known to belong to this purchase (disputes and refunds point at them). */
  paymentRefs: string[];
  /** Ids of the most recent Stripe events applied (bounded), so a replay is recognized without the idempotency store. */
  appliedEventIds: string[];
  /** Stripe `created` of the event that first made us aware of the purchase (provisioning latency origin). */
  firstSeenCreated: number;
}

export const MAX_REMEMBERED_EVENT_IDS = 100;

export function newPurchase(purchaseId: string, kind: PurchaseKind, created: number): PurchaseState {
  return {
    purchaseId,
    kind,
    customerId: null,
    email: null,
    name: null,
    facts: {
      checkout: 'unknown',
      tier: null,
      maxDomainsOverride: null,
      periodEnd: null,
      cancelAtPeriodEnd: false,
      paused: false,
      disputes: {},
      grace: null,
      refundedAmount: 0,
    },
    stamps: {},
    revoked: null,
    license: null,
    createIntent: null,
    outbox: [],
    paymentRefs: [],
    appliedEventIds: [],
    firstSeenCreated: created,
  };
}

/** A dispute suspends unless it is an inquiry (warning_*) or closed. */
export function disputeSuspends(dispute: Pick<DisputeFact, 'status' | 'closed'>): boolean {
  return dispute.closed !== true && !dispute.status.startsWith('warning_') && dispute.status !== 'won' && dispute.status !== 'lost';
}

/** The license stays suspended while any real dispute on the purchase is open. */
export function anyDisputeSuspends(disputes: Record<string, DisputeFact>): boolean {
  return Object.values(disputes).some(disputeSuspends);
}
