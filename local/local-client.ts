/**
 * Talks to a running local pipeline over HTTP, as Stripe and a person would: posts signed webhook
 * deliveries and reads the /local views. Used by the demo and the integration test.
 */
import { signStripePayload } from '../test/support/stripe-events';
import type { PurchaseSummary } from '../lambdas/processor/purchase-summary';
import type { PurchaseReport } from '../ops/operations';
import type { LicenseView } from './local-traffic-orchestrator';

export type { LicenseView };

export interface OutboxEntry {
  sentAt: string;
  to: string;
  subject: string;
  template: string;
  purchaseId: string;
  file: string;
}

export interface EventStatus {
  eventId: string;
  status: 'processed' | 'dead_lettered' | 'retrying' | 'unknown';
  failure?: { reason: string; retryable: boolean; message: string; attempts: number } | null;
}

/** GET /local/purchases/:id: the ledger's facts about a purchase, the license as last applied (no key), and the audit history. */
export type PurchaseView = PurchaseSummary & Omit<PurchaseReport, 'summary'>;

export interface PipelineStatus {
  status: 'ok';
  webhookUrl: string;
  dataDir: string;
  outboxDir: string;
  queues: { queued: number; inFlight: number; deadLettered: number };
  trafficOrchestrator: { builtIn: boolean; url: string };
  stripeApi: { enabled: boolean; url?: string };
  scheduledJobs: Array<{ name: string; everySeconds: number }>;
}

export class LocalPipelineClient {
  readonly baseUrl: string;

  constructor(baseUrl: string, private readonly webhookSecret: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Posts a Stripe event the way Stripe delivers it: the JSON body and a fresh Stripe-Signature over it. */
  async deliver(event: object, options: { signature?: string } = {}): Promise<{ status: number; body: unknown }> {
    const payload = JSON.stringify(event, null, 2);
    const response = await fetch(`${this.baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'Stripe-Signature': options.signature ?? signStripePayload(payload, this.webhookSecret),
      },
      body: payload,
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  status(): Promise<PipelineStatus> {
    return this.get('/local/status');
  }

  async licenses(purchase?: string): Promise<LicenseView[]> {
    const query = purchase ? `?purchase=${encodeURIComponent(purchase)}` : '';
    return (await this.get<{ licenses: LicenseView[] }>(`/local/licenses${query}`)).licenses;
  }

  async purchase(purchaseId: string): Promise<PurchaseView | null> {
    const response = await fetch(`${this.baseUrl}/local/purchases/${encodeURIComponent(purchaseId)}`);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`GET /local/purchases/${purchaseId}: HTTP ${response.status}`);
    return (await response.json()) as PurchaseView;
  }

  outbox(purchase?: string): Promise<OutboxEntry[]> {
    return this.get(`/local/outbox${purchase ? `?purchase=${encodeURIComponent(purchase)}` : ''}`);
  }

  event(eventId: string): Promise<EventStatus> {
    return this.get(`/local/events/${encodeURIComponent(eventId)}`);
  }

  /**
   * Waits until the processor has finished with the event (processed, or dead-lettered) and
   * returns that status; throws with the last status seen when it takes longer than `timeoutMs`.
   */
  async waitForEvent(eventId: string, timeoutMs = 20_000): Promise<EventStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: EventStatus | undefined;
    while (Date.now() < deadline) {
      last = await this.event(eventId);
      if (last.status === 'processed' || last.status === 'dead_lettered') return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const why = last?.failure ? ` (${last.failure.reason}: ${last.failure.message})` : '';
    throw new Error(`event ${eventId} was not processed within ${timeoutMs} ms; last status ${last?.status ?? 'none'}${why}`);
  }

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}
