/**
 * Named reasons a Stripe event can fail for. They travel with the failure (logs, metric dimension,
 * the failure record the DLQ tooling prints, the `failureReason` attribute of a DLQ message), so
 * on-call reads *why* without opening code.
 */
export const FAILURE_REASONS = {
  // Final: retrying cannot help until someone fixes config or data; the message goes to the DLQ at once.
  unparseable_event: 'final',
  unsupported_payload_shape: 'final',
  missing_license_metadata: 'final',
  unknown_tier: 'final',
  unknown_price: 'final',
  product_mismatch: 'final',
  invalid_max_domains: 'final',
  missing_customer_email: 'final',
  license_provider_rejected: 'final',
  // Retryable: SQS redelivers; after maxReceiveCount the message lands in the DLQ with this reason recorded.
  unknown_purchase: 'retryable',
  license_not_created_yet: 'retryable',
  tier_not_known_yet: 'retryable',
  purchase_busy: 'retryable',
  license_provider_unavailable: 'retryable',
  license_provider_throttled: 'retryable',
  event_in_progress: 'retryable',
  internal_error: 'retryable',
} as const;

export type FailureReason = keyof typeof FAILURE_REASONS;

/** Final reasons that mean the business input is wrong (checkout data, plans config), not an outage or a parse problem. */
export const BUSINESS_RULE_REASONS: ReadonlySet<FailureReason> = new Set<FailureReason>([
  'missing_license_metadata', 'unknown_tier', 'unknown_price', 'product_mismatch', 'invalid_max_domains', 'missing_customer_email',
]);

/** A failure with a named reason. `retryable` follows the reason unless stated. */
export class ProcessingError extends Error {
  readonly reason: FailureReason;
  readonly retryable: boolean;
  /** The purchase the failing event concerns, once it is known (the DLQ tools show it). */
  purchaseId: string | null = null;

  constructor(reason: FailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProcessingError';
    this.reason = reason;
    this.retryable = FAILURE_REASONS[reason] === 'retryable';
  }
}

export function isProcessingError(error: unknown): error is ProcessingError {
  return error instanceof ProcessingError;
}
