/**
 * The ingest use case: everything that must happen before Stripe gets its answer (DESIGN §2), and
 * nothing slower. Verify the signature over the raw body, check the envelope and the stage's
 * livemode, enqueue, answer. No AWS or HTTP imports: the queue, the secrets, the logger and the
 * metrics are injected, so tests drive it with real signatures and the handler stays a mapping.
 *
 * Public answers are deliberately generic (no stack, secret, SQS error or verification detail);
 * the precise reason goes to the log and to metrics.
 */
import { isHandledEventType } from '../domain/billing-event';
import { isProcessingError } from '../domain/errors';
import { METRIC } from '../observability/metric-names';
import { systemClock, type Clock } from '../ports/clock';
import type { EventQueue } from '../ports/event-queue';
import type { SigningSecretSource } from '../ports/secrets';
import { parseEventEnvelope } from '../stripe/parse-event';
import { verifyStripeSignature, type SignatureFailureReason } from './verify-webhook';

export interface WebhookRequest {
  method: string;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string | null;
  isBase64Encoded: boolean;
  sourceIp?: string;
  /** API Gateway request id, for correlating log lines. */
  requestId?: string;
}

export interface WebhookResponse {
  statusCode: number;
  /** JSON. */
  body: string;
  headers?: Record<string, string>;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** The part of a logger the use case needs; a Powertools Logger fits. */
export interface IngestLogger {
  info(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}

export type IngestMetricName =
  | typeof METRIC.webhookReceived
  | typeof METRIC.webhookAccepted
  | typeof METRIC.webhookIgnored
  | typeof METRIC.webhookRejected
  | typeof METRIC.signatureVerificationFailed
  | typeof METRIC.webhookEnqueueFailed;

/** The part of a metrics sink the use case needs; a Powertools Metrics fits. */
export interface IngestMetrics {
  addMetric(name: IngestMetricName, unit: 'Count', value: number): unknown;
}

export interface IngestDeps {
  secrets: SigningSecretSource;
  queue: EventQueue;
  /** The `livemode` this stage accepts. */
  expectedLivemode: boolean;
  /** Limit on the raw (decoded) body, bytes. */
  maxBodyBytes: number;
  logger: IngestLogger;
  metrics: IngestMetrics;
  /** Time the signature's age is measured against; defaults to the system clock. */
  clock?: Clock;
}

/** Why a request was refused; logged with every rejection. */
export type RejectionReason = 'method_not_allowed' | 'body_too_large' | SignatureFailureReason | 'malformed_event' | 'livemode_mismatch';

const ANSWERS = {
  accepted: { statusCode: 200, body: { received: true } },
  ignored: { statusCode: 200, body: { received: true, ignored: true } },
  methodNotAllowed: { statusCode: 405, body: { error: 'method not allowed' } },
  tooLarge: { statusCode: 413, body: { error: 'payload too large' } },
  missingSignature: { statusCode: 400, body: { error: 'missing signature' } },
  // One answer for every verification failure: the caller learns nothing about which check failed.
  invalidSignature: { statusCode: 400, body: { error: 'invalid signature' } },
  malformedEvent: { statusCode: 400, body: { error: 'malformed event' } },
  livemodeMismatch: { statusCode: 400, body: { error: 'livemode mismatch' } },
  // 5xx so Stripe retries the delivery later.
  unavailable: { statusCode: 500, body: { error: 'temporarily unavailable' } },
} as const;

type Answer = (typeof ANSWERS)[keyof typeof ANSWERS];

function respond(answer: Answer, headers?: Record<string, string>): WebhookResponse {
  return { statusCode: answer.statusCode, body: JSON.stringify(answer.body), ...(headers ? { headers } : {}) };
}

export async function ingestWebhook(request: WebhookRequest, deps: IngestDeps): Promise<WebhookResponse> {
  const { logger, metrics } = deps;
  const requestFields: LogFields = { requestId: request.requestId, sourceIp: request.sourceIp };
  metrics.addMetric(METRIC.webhookReceived, 'Count', 1);

  const reject = (reason: RejectionReason, answer: Answer, fields: LogFields = {}, headers?: Record<string, string>): WebhookResponse => {
    metrics.addMetric(METRIC.webhookRejected, 'Count', 1);
    logger.warn('webhook rejected', { ...requestFields, reason, statusCode: answer.statusCode, ...fields });
    return respond(answer, headers);
  };

  try {
    if (request.method.toUpperCase() !== 'POST') {
      return reject('method_not_allowed', ANSWERS.methodNotAllowed, { method: request.method }, { Allow: 'POST' });
    }

    const raw = decodeBody(request);
    if (raw.byteLength > deps.maxBodyBytes) {
      return reject('body_too_large', ANSWERS.tooLarge, { bodyBytes: raw.byteLength, maxBodyBytes: deps.maxBodyBytes });
    }
    const payload = raw.toString('utf8');

    const signatureHeader = findHeader(request.headers, 'stripe-signature');
    if (signatureHeader === undefined || signatureHeader.trim() === '') {
      return reject('missing_signature', ANSWERS.missingSignature);
    }

    const check = verifyStripeSignature({
      payload,
      signatureHeader,
      secrets: await deps.secrets.getSigningSecrets(),
      receivedAtMs: (deps.clock ?? systemClock).nowMs(),
    });
    if (!check.valid) {
      metrics.addMetric(METRIC.signatureVerificationFailed, 'Count', 1);
      // Never the body: it is unauthenticated input. What it claims to be helps tell a rolled
      // secret (every type fails) from a probe.
      return reject(check.reason, ANSWERS.invalidSignature, claimedIdentity(payload));
    }

    let envelope: ReturnType<typeof parseEventEnvelope>;
    try {
      envelope = parseEventEnvelope(payload);
    } catch (error) {
      if (!isProcessingError(error)) throw error;
      // Not the parser's message: JSON.parse quotes the body, and a real event carries customer data.
      return reject('malformed_event', ANSWERS.malformedEvent, { failureReason: error.reason });
    }
    const eventFields: LogFields = { eventId: envelope.eventId, eventType: envelope.eventType, livemode: envelope.livemode };

    if (envelope.livemode !== deps.expectedLivemode) {
      return reject('livemode_mismatch', ANSWERS.livemodeMismatch, { ...eventFields, expectedLivemode: deps.expectedLivemode });
    }

    if (!isHandledEventType(envelope.eventType)) {
      metrics.addMetric(METRIC.webhookAccepted, 'Count', 1);
      metrics.addMetric(METRIC.webhookIgnored, 'Count', 1);
      logger.info('webhook ignored: event type not handled', { ...requestFields, ...eventFields });
      return respond(ANSWERS.ignored);
    }

    try {
      await deps.queue.enqueue({ eventId: envelope.eventId, eventType: envelope.eventType, created: envelope.created, body: payload });
    } catch (error) {
      metrics.addMetric(METRIC.webhookEnqueueFailed, 'Count', 1);
      logger.error('webhook enqueue failed; answering 5xx so Stripe retries', { ...requestFields, ...eventFields, ...errorFields(error) });
      return respond(ANSWERS.unavailable);
    }

    metrics.addMetric(METRIC.webhookAccepted, 'Count', 1);
    logger.info('webhook accepted', { ...requestFields, ...eventFields, signingSecretPosition: check.matchedPosition });
    return respond(ANSWERS.accepted);
  } catch (error) {
    // Anything unexpected (e.g. Secrets Manager unreachable): Stripe retries a 5xx.
    logger.error('webhook failed unexpectedly; answering 5xx so Stripe retries', { ...requestFields, ...errorFields(error) });
    return respond(ANSWERS.unavailable);
  }
}

/** The raw bytes Stripe signed: API Gateway base64-encodes bodies it treats as binary. */
function decodeBody(request: WebhookRequest): Buffer {
  const body = request.body ?? '';
  return request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function findHeader(headers: WebhookRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

// Shapes strict enough that an attacker cannot inject arbitrary text into the logs through them.
const EVENT_ID_SHAPE = /^evt_[A-Za-z0-9]{1,255}$/;
const EVENT_TYPE_SHAPE = /^[a-z0-9_.]{1,100}$/;

/** What an unverified body says it is, when it says so in the expected shape. */
function claimedIdentity(payload: string): LogFields {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { id, type } = parsed as { id?: unknown; type?: unknown };
    return {
      claimedEventId: typeof id === 'string' && EVENT_ID_SHAPE.test(id) ? id : undefined,
      claimedEventType: typeof type === 'string' && EVENT_TYPE_SHAPE.test(type) ? type : undefined,
    };
  } catch {
    return {};
  }
}

function errorFields(error: unknown): LogFields {
  return error instanceof Error ? { errorName: error.name, errorMessage: error.message } : { errorMessage: String(error) };
}
