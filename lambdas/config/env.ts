/**
 * Environment variable names: the contract between the CDK stack (lib/), the local pipeline
 * (local/) and the Lambda code. Each function reads and validates its own set once, at cold start
 * (ingest-config.ts, processor-config.ts).
 */
export const ENV = {
  /** `test` or `live`; the stage's `livemode` expectation follows from it. */
  stage: 'STAGE',

  // ingest
  queueUrl: 'QUEUE_URL',
  /** Secrets Manager secret (name or ARN) holding the webhook signing secret(s). */
  signingSecretId: 'STRIPE_SIGNING_SECRET_ID',
  /** Local runs only: signing secret(s), comma-separated; used when no secret id is set. */
  signingSecrets: 'STRIPE_WEBHOOK_SECRET',
  maxBodyBytes: 'MAX_BODY_BYTES',

  // processor
  ledgerTable: 'LEDGER_TABLE_NAME',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  deadLetterQueueUrl: 'DLQ_URL',
  idempotencyExpirySeconds: 'IDEMPOTENCY_EXPIRY_SECONDS',
  purchaseLeaseSeconds: 'PURCHASE_LEASE_SECONDS',
  toApiUrl: 'TO_API_URL',
  /** Secrets Manager secret (name or ARN) holding the Traffic Orchestrator API key. */
  toApiKeySecretId: 'TO_API_KEY_SECRET_ID',
  /** Local runs only: the API key itself. */
  toApiKey: 'TO_API_KEY',
  toTimeoutMs: 'TO_TIMEOUT_MS',
  /** The validated plans config (config/plans.json), as JSON. */
  plansConfig: 'PLANS_CONFIG',
  /** `ses` (deployed) or `file` (local). */
  notifier: 'NOTIFIER',
  /** For NOTIFIER=file: the folder each e-mail is written to. */
  emailOutboxDir: 'EMAIL_OUTBOX_DIR',

  // reconciliation (also LEDGER_TABLE_NAME, and QUEUE_URL for the events it puts back on the queue)
  /** Base URL of the Stripe API, e.g. https://api.stripe.com (deployed) or a local fake / stripe-mock. */
  stripeApiUrl: 'STRIPE_API_URL',
  /** Secrets Manager secret (name or ARN) holding the Stripe API key (a restricted key that can read events). */
  stripeApiKeySecretId: 'STRIPE_API_KEY_SECRET_ID',
  /** Local runs only: the Stripe API key itself. */
  stripeApiKey: 'STRIPE_API_KEY',
  stripeTimeoutMs: 'STRIPE_TIMEOUT_MS',
  /** How far back each run looks at Stripe's events (Stripe keeps them 30 days). */
  reconciliationLookbackSeconds: 'RECONCILIATION_LOOKBACK_SECONDS',
  /** Events younger than this are left to the next run: they may still be on their way through the queue. */
  reconciliationSettleSeconds: 'RECONCILIATION_SETTLE_SECONDS',
} as const;

export type Stage = 'test' | 'live';

export function parseStage(value: string | undefined): Stage {
  if (value === 'test' || value === 'live') return value;
  throw new Error(`${ENV.stage} must be "test" or "live", got ${JSON.stringify(value)}`);
}

/** Where a credential comes from: a Secrets Manager secret (deployed) or the value itself (local runs, tests). */
export type CredentialSource = { secretId: string } | { value: string };

/** Reads a credential's source: the secret id variable wins; throws naming both when neither is set. */
export function credentialSourceEnv(env: NodeJS.ProcessEnv, secretIdName: string, valueName: string): CredentialSource {
  const secretId = env[secretIdName];
  if (secretId) return { secretId };
  const value = env[valueName];
  if (value) return { value };
  throw new Error(`Set ${secretIdName} (deployed) or ${valueName} (local)`);
}

/** Reads a required variable or throws naming it. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`Missing required environment variable ${name}`);
  return value;
}

/** Reads an optional positive integer variable, with a default; throws naming it when malformed. */
export function positiveIntEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}
