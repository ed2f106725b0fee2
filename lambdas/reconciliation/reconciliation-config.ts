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
/** Timeout of one Stripe API call (the stack's default too). */
export const DEFAULT_STRIPE_TIMEOUT_MS = 10_000;

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
      timeoutMs: positiveIntEnv(env, ENV.stripeTimeoutMs, DEFAULT_STRIPE_TIMEOUT_MS),
    },
    lookbackSeconds,
    settleSeconds,
  };
}

/**
 * A Stripe secret or restricted key names its mode (`sk_test_…`, `rk_live_…`). A key of the other
 * mode would compare the stage's ledger with the other mode's payments and requeue events the
 * processor must not see, so it is refused before any call.
 */
export function checkStripeKeyMode(apiKey: string, stage: Stage): void {
  const match = /^(sk|rk)_(test|live)_/.exec(apiKey);
  if (!match) throw new Error('the Stripe API key is not a secret (sk_…) or restricted (rk_…) key');
  // The stage names the mode it needs: test or live.
  if (match[2] !== stage) throw new Error(`the Stripe API key is a ${match[2]}-mode key; the ${stage} stage needs a ${stage}-mode key`);
}
