/**
 * What the reconciliation job needs, read from the environment and validated once per cold start:
 * the ledger (to look purchases up), the provisioning queue (to put lost events back), the Stripe
 * API (its Events API is Stripe's own record of what was paid) and the window each run covers.
 */
import { ENV, credentialSourceEnv, parseStage, positiveIntEnv, requireEnv, type CredentialSource, type Stage } from '../config/env';

export interface ReconciliationConfig {
  stage: Stage;
  ledgerTableName: string;
  queueUrl: string;
  stripe: { apiUrl: string; apiKey: CredentialSource; timeoutMs: number };
  lookbackSeconds: number;
  settleSeconds: number;
}

/** Stripe keeps events for 30 days; a window past that finds nothing more. */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 86_400;
export const DEFAULT_STRIPE_API_URL = 'https://api.stripe.com';

export function readReconciliationConfig(env: NodeJS.ProcessEnv = process.env): ReconciliationConfig {
  const apiKey = credentialSourceEnv(env, ENV.stripeApiKeySecretId, ENV.stripeApiKey);

  const apiUrl = env[ENV.stripeApiUrl] || DEFAULT_STRIPE_API_URL;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(apiUrl);
  } catch {
    throw new Error(`${ENV.stripeApiUrl} must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
    throw new Error(`${ENV.stripeApiUrl} must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }

  const lookbackSeconds = positiveIntEnv(env, ENV.reconciliationLookbackSeconds, 4 * 86_400);
  const settleSeconds = positiveIntEnv(env, ENV.reconciliationSettleSeconds, 900);
  if (lookbackSeconds > STRIPE_EVENT_RETENTION_SECONDS) {
    throw new Error(`${ENV.reconciliationLookbackSeconds} must be at most ${STRIPE_EVENT_RETENTION_SECONDS} (Stripe keeps events 30 days), got ${lookbackSeconds}`);
  }

  return {
    stage: parseStage(env[ENV.stage]),
    ledgerTableName: requireEnv(env, ENV.ledgerTable),
    queueUrl: requireEnv(env, ENV.queueUrl),
    stripe: {
      apiUrl,
      apiKey,
      timeoutMs: positiveIntEnv(env, ENV.stripeTimeoutMs, 10_000),
    },
    lookbackSeconds,
    settleSeconds,
  };
}
