/**
 * What the purchase workflow needs, read from the environment and validated once per cold start.
 * Shared by the two Lambdas that drive it: the processor (Stripe events) and the grace-escalation
 * job (the dunning ladder by time).
 */
import { parsePlansConfig, type PlansConfig } from '../domain/plans';
import { ENV, credentialSourceEnv, parseStage, positiveIntEnv, requireEnv, type CredentialSource, type Stage } from '../config/env';

/** Timeout of one Traffic Orchestrator call (the stack's default too). */
export const DEFAULT_TO_TIMEOUT_MS = 5000;

export interface WorkflowConfig {
  stage: Stage;
  ledgerTableName: string;
  purchaseLeaseMs: number;
  trafficOrchestrator: { apiUrl: string; apiKey: CredentialSource; timeoutMs: number };
  plans: PlansConfig;
  notifier: { kind: 'ses' } | { kind: 'file'; outboxDir: string };
}

export function readWorkflowConfig(env: NodeJS.ProcessEnv = process.env): WorkflowConfig {
  const apiKey = credentialSourceEnv(env, ENV.toApiKeySecretId, ENV.toApiKey);

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
    purchaseLeaseMs: positiveIntEnv(env, ENV.purchaseLeaseSeconds, 60) * 1000,
    trafficOrchestrator: {
      apiUrl: requireEnv(env, ENV.toApiUrl),
      apiKey,
      timeoutMs: positiveIntEnv(env, ENV.toTimeoutMs, DEFAULT_TO_TIMEOUT_MS),
    },
    plans: parsePlansConfig(plansJson),
    notifier: notifierKind === 'file' ? { kind: 'file', outboxDir: requireEnv(env, ENV.emailOutboxDir) } : { kind: 'ses' },
  };
}
