/** Where verified Stripe events wait for the processor. One adapter: SQS (lambdas/adapters/sqs-event-queue.ts). */
export interface QueuedStripeEvent {
  eventId: string;
  eventType: string;
  /** Stripe event `created`, Unix seconds. */
  created: number;
  /** The raw event JSON exactly as Stripe signed it. */
  body: string;
}

export interface EventQueue {
  /** Resolves once the queue has durably accepted the event; rejects otherwise (the webhook then answers 5xx). */
  enqueue(event: QueuedStripeEvent): Promise<void>;
}
