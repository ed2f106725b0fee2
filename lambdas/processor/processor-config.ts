/** The processor's configuration, read from the environment and validated once per cold start. */
import { parsePlansConfig, type PlansConfig } from '../domain/plans';
import { ENV, parseStage, positiveIntEnv, requireEnv, type Stage } from '../config/env';

/** Stripe retries a webhook for up to 3 days; idempotency records must outlive that. */
const STRIPE_RETRY_WINDOW_SECONDS = 3 * 86_400;

export interface ProcessorConfig {
  stage: Stage;
  ledgerTableName: string;
  idempotencyTableName: string;
  deadLetterQueueUrl: string;
  idempotencyExpirySeconds: number;
  purchaseLeaseMs: number;
  trafficOrchestrator: { apiUrl: string; apiKey: { secretId: string } | { value: string }; timeoutMs: number };
  plans: PlansConfig;
  notifier: { kind: 'ses' } | { kind: 'file'; outboxDir: string };
}

export function readProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const idempotencyExpirySeconds = positiveIntEnv(env, ENV.idempotencyExpirySeconds, 4 * 86_400);
  if (idempotencyExpirySeconds <= STRIPE_RETRY_WINDOW_SECONDS) {
    throw new Error(`${ENV.idempotencyExpirySeconds} must exceed Stripe's 3-day retry window (${STRIPE_RETRY_WINDOW_SECONDS} s), got ${idempotencyExpirySeconds}`);
  }
  const apiKeySecretId = env[ENV.toApiKeySecretId];
  const apiKeyValue = env[ENV.toApiKey];
  if (!apiKeySecretId && !apiKeyValue) throw new Error(`Set ${ENV.toApiKeySecretId} (deployed) or ${ENV.toApiKey} (local)`);

  let plansJson: unknown;
  try {
    plansJson = JSON.parse(requireEnv(env, ENV.plansConfig));
  } catch (error) {
    throw new Error(`${ENV.plansConfig} is not valid JSON: ${(error as Error).message}`);
  }

  const notifierKind = env[ENV.notifier] ?? 'ses';
  if (notifierKind !== 'ses' && notifierKind !== 'file') throw new Error(`${ENV.notifier} must be "ses" or "file", got ${JSON.stringify(notifierKind)}`);

  return {
    stage: parseStage(env[ENV.stage]),
    ledgerTableName: requireEnv(env, ENV.ledgerTable),
    idempotencyTableName: requireEnv(env, ENV.idempotencyTable),
    deadLetterQueueUrl: requireEnv(env, ENV.deadLetterQueueUrl),
    idempotencyExpirySeconds,
    purchaseLeaseMs: positiveIntEnv(env, ENV.purchaseLeaseSeconds, 60) * 1000,
    trafficOrchestrator: {
      apiUrl: requireEnv(env, ENV.toApiUrl),
      apiKey: apiKeySecretId ? { secretId: apiKeySecretId } : { value: apiKeyValue as string },
      timeoutMs: positiveIntEnv(env, ENV.toTimeoutMs, 5000),
    },
    plans: parsePlansConfig(plansJson),
    notifier: notifierKind === 'file' ? { kind: 'file', outboxDir: requireEnv(env, ENV.emailOutboxDir) } : { kind: 'ses' },
  };
}
