/** The processor's configuration, read from the environment and validated once per cold start. */
import { ENV, positiveIntEnv, requireEnv } from '../config/env';
import { readWorkflowConfig, type WorkflowConfig } from './workflow-config';

/** Stripe retries a webhook for up to 3 days; idempotency records must outlive that. */
const STRIPE_RETRY_WINDOW_SECONDS = 3 * 86_400;

export interface ProcessorConfig extends WorkflowConfig {
  idempotencyTableName: string;
  deadLetterQueueUrl: string;
  idempotencyExpirySeconds: number;
}

export function readProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const idempotencyExpirySeconds = positiveIntEnv(env, ENV.idempotencyExpirySeconds, 4 * 86_400);
  if (idempotencyExpirySeconds <= STRIPE_RETRY_WINDOW_SECONDS) {
    throw new Error(`${ENV.idempotencyExpirySeconds} must exceed Stripe's 3-day retry window (${STRIPE_RETRY_WINDOW_SECONDS} s), got ${idempotencyExpirySeconds}`);
  }
  return {
    ...readWorkflowConfig(env),
    idempotencyTableName: requireEnv(env, ENV.idempotencyTable),
    deadLetterQueueUrl: requireEnv(env, ENV.deadLetterQueueUrl),
    idempotencyExpirySeconds,
  };
}
