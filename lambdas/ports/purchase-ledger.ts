/**
 * The ledger: our system of record (DynamoDB in production and locally via dynalite; adapter in
 * lambdas/adapters/dynamodb-purchase-ledger.ts). Every write is a single-item conditional write.
 *
 * One worker at a time owns a purchase: `acquire` takes a lease on it (a conditional write), all
 * saves are conditional on holding that lease, and a crashed worker's lease simply expires. This is
 * what makes "exactly one license per purchase" hold across concurrent Lambdas, duplicates and redrives.
 */
import type { FailureReason } from '../domain/errors';
import type { PurchaseState } from '../domain/purchase';

export interface AuditEntry {
  purchaseId: string;
  /** Stripe event id, or the id of the scheduler tick / ops action that caused the change. */
  sourceId: string;
  sourceType: string;
  /** Unix milliseconds when the change was written. */
  atMs: number;
  outcome: string;
  notes: string[];
  /** A summary of the purchase before and after (never the license key). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
}

export interface FailureRecord {
  eventId: string;
  eventType: string | null;
  purchaseId: string | null;
  reason: FailureReason;
  retryable: boolean;
  message: string;
  attempts: number;
  firstAtMs: number;
  lastAtMs: number;
}

export interface PurchaseLedger {
  /** Reads without a lease (ops tools, lookups). */
  get(purchaseId: string): Promise<PurchaseState | null>;
  /**
   * Takes the purchase's lease for `leaseMs` and returns its state (null when the purchase is new).
   * Throws ProcessingError('purchase_busy') when another live worker holds it.
   */
  acquire(purchaseId: string, owner: string, leaseMs: number): Promise<PurchaseState | null>;
  /** Writes the state; fails with purchase_busy if the lease was lost. */
  save(state: PurchaseState, owner: string, graceNextAt: number | null): Promise<void>;
  release(purchaseId: string, owner: string): Promise<void>;

  appendHistory(entry: AuditEntry): Promise<void>;
  history(purchaseId: string): Promise<AuditEntry[]>;

  /** Records that a payment intent / charge belongs to a purchase (idempotent). */
  linkPaymentRef(purchaseId: string, ref: string): Promise<void>;
  findPurchaseByPaymentRef(ref: string): Promise<string | null>;
  findPurchasesByCustomer(customerId: string): Promise<string[]>;
  /** Purchases whose next grace step is due at or before `nowSeconds`. */
  listGraceDue(nowSeconds: number): Promise<string[]>;

  /** Keeps why an event failed, for the DLQ tooling (attempts are counted). */
  recordFailure(failure: Omit<FailureRecord, 'attempts' | 'firstAtMs' | 'lastAtMs'>, nowMs: number): Promise<void>;
  getFailure(eventId: string): Promise<FailureRecord | null>;
  clearFailure(eventId: string): Promise<void>;
  /** An accepted event that concerns no purchase (e.g. a manual invoice): recorded so nothing vanishes. */
  recordNoop(eventId: string, eventType: string, reason: string, nowMs: number): Promise<void>;
}
