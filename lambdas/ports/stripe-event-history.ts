/**
 * Stripe's own record of the events it created (the Events API keeps 30 days). Reconciliation reads
 * it to find payments whose webhook never became a license. One adapter: the stripe library.
 */
export interface StripeHistoryEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  /** The event as Stripe returns it, JSON: the same shape a webhook carries, so the processor can take it. */
  body: string;
}

export interface StripeEventHistory {
  /** Events of the given types created between `fromSeconds` and `toSeconds` (inclusive), every page. */
  list(types: readonly string[], fromSeconds: number, toSeconds: number): AsyncIterable<StripeHistoryEvent>;
}
