/**
 * StripeEventHistory on the Stripe API through the stripe library (auto-pagination over
 * `GET /v1/events`). `apiUrl` points it at another host (a local fake or stripe-mock) the way the
 * library allows: host, port and protocol.
 */
import Stripe from 'stripe';
import type { StripeEventHistory, StripeHistoryEvent } from '../ports/stripe-event-history';

export interface StripeEventHistoryOptions {
  apiKey: string;
  /** Base URL, e.g. https://api.stripe.com (the default) or http://127.0.0.1:12111. */
  apiUrl: string;
  timeoutMs: number;
}

export class StripeApiEventHistory implements StripeEventHistory {
  private readonly stripe: Stripe;

  constructor(options: StripeEventHistoryOptions) {
    const url = new URL(options.apiUrl);
    this.stripe = new Stripe(options.apiKey, {
      host: url.hostname,
      port: url.port || (url.protocol === 'http:' ? 80 : 443),
      protocol: url.protocol === 'http:' ? 'http' : 'https',
      timeout: options.timeoutMs,
      // Reads only: the library's retries (with Stripe's idempotency semantics) are safe here.
      maxNetworkRetries: 2,
      // Otherwise it writes usage data under the home folder (read-only in Lambda).
      telemetry: false,
    });
  }

  async *list(types: readonly string[], fromSeconds: number, toSeconds: number): AsyncIterable<StripeHistoryEvent> {
    const events = this.stripe.events.list({ types: [...types], created: { gte: fromSeconds, lte: toSeconds }, limit: 100 });
    for await (const event of events) {
      yield { id: event.id, type: event.type, created: event.created, body: JSON.stringify(event) };
    }
  }
}
