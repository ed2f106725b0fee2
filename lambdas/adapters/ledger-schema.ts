/**
 * DynamoDB key schema of the two tables, shared by the CDK stack (lib/), the local pipeline and the
 * tests, so the emulated tables are the deployed ones.
 *
 * Ledger table (single table, one partition per purchase):
 *   pk = PURCHASE#<purchaseId>  sk = STATE               the purchase's current state (+ lease)
 *   pk = PURCHASE#<purchaseId>  sk = HISTORY#<ts>#<evt>   append-only audit entries
 *   pk = PURCHASE#<purchaseId>  sk = PAYREF#<ref>         payment intent / charge pointers (GSI byPaymentRef)
 *   pk = EVENT#<eventId>        sk = FAILURE             why an event failed (read by the DLQ tooling; TTL)
 *   pk = EVENT#<eventId>        sk = NOOP                an accepted event that concerns no purchase (TTL)
 * Idempotency table: Powertools' default layout (id, expiration TTL).
 */
export const LEDGER_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

export const LEDGER_INDEXES = {
  /** Purchases of one Stripe customer. */
  byCustomer: { name: 'byCustomer', partitionKey: 'customerId', sortKey: 'pk' },
  /** The purchase a payment intent or charge belongs to (disputes and refunds point at those). */
  byPaymentRef: { name: 'byPaymentRef', partitionKey: 'paymentRef', sortKey: 'pk' },
  /** Purchases in grace, by when the next ladder step is due (sparse: only purchases in grace carry these attributes). */
  byGraceDeadline: { name: 'byGraceDeadline', partitionKey: 'graceBucket', sortKey: 'graceNextAt', sortKeyType: 'N' },
} as const;

export type LedgerIndex = (typeof LEDGER_INDEXES)[keyof typeof LEDGER_INDEXES];

/** The DynamoDB type of an index's sort key: string unless the index says number. */
export function indexSortKeyType(index: LedgerIndex): 'S' | 'N' {
  return 'sortKeyType' in index ? index.sortKeyType : 'S';
}

/** TTL attribute of the ledger table (failure records expire; purchases and history never do). */
export const LEDGER_TTL_ATTRIBUTE = 'ttl';

export const IDEMPOTENCY_KEYS = { partitionKey: 'id' } as const;
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
