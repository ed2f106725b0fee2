/**
 * `npm start` is configured by environment variables (the README section "Run it locally" has the table). This module
 * reads and validates them into LocalPipelineOptions; a bad value stops the start with a message
 * naming the variable. Nothing here starts anything.
 */
import * as path from 'node:path';
import { resolveProjectPath } from '../lib/config/plans-file';
import { resolveStageConfig } from '../lib/config/stage-config';
import { parseSigningSecrets } from '../lambdas/adapters/signing-secret-sources';
import { ENV } from '../lambdas/config/env';
import { checkStripeKeyMode } from '../lambdas/reconciliation/reconciliation-config';
import { LOCAL_LOG_LEVELS, type LocalLogLevel } from './console-output';

/** The variables `npm start` reads, beyond the deployed contract in lambdas/config/env.ts. */
export const LOCAL_ENV = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'LOCAL_DATA_DIR',
  webhookSecret: ENV.signingSecrets,
  toApiUrl: ENV.toApiUrl,
  toApiKey: ENV.toApiKey,
  toTimeoutMs: ENV.toTimeoutMs,
  fakeToPort: 'FAKE_TO_PORT',
  stripeApiUrl: ENV.stripeApiUrl,
  stripeApiKey: ENV.stripeApiKey,
  reconciliationIntervalSeconds: 'RECONCILIATION_INTERVAL_SECONDS',
  plansFile: 'PLANS_FILE',
  outboxDir: ENV.emailOutboxDir,
  visibilityTimeoutSeconds: 'QUEUE_VISIBILITY_TIMEOUT_SECONDS',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  graceEscalationIntervalSeconds: 'GRACE_ESCALATION_INTERVAL_SECONDS',
  logLevel: 'LOG_LEVEL',
} as const;

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.local';
/**
 * Short, so a failed event is retried within seconds while you watch. (Deployed, the visibility
 * timeout follows the processor timeout.)
 */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 5;
/** Every minute, so a due ladder step shows up while you watch. (Deployed: graceEscalationIntervalMinutes, default 15.) */
export const DEFAULT_GRACE_ESCALATION_INTERVAL_SECONDS = 60;

/** Every five minutes. (Deployed: reconciliationIntervalMinutes, default 60.) */
export const DEFAULT_RECONCILIATION_INTERVAL_SECONDS = 300;
/**
 * A test-mode key for a local Stripe API stand-in (stripe-mock accepts any `sk_test_…` key). With
 * STRIPE_API_URL pointing at Stripe itself, set STRIPE_API_KEY to a key of your test-mode account.
 */
export const DEFAULT_LOCAL_STRIPE_API_KEY = 'sk_test_local';

/** The deployed defaults (lib/config/stage-config.ts), so the local queue behaves like the test stage's. */
export const DEPLOYED_DEFAULTS = resolveStageConfig(() => undefined);

export type TrafficOrchestratorChoice =
  /** The fake from test/support, on a local port, with its licenses kept in the data folder. */
  | { kind: 'built-in'; port: number }
  | { kind: 'external'; apiUrl: string; apiKey: string };

export interface LocalPipelineOptions {
  /** 0 = any free port. */
  port: number;
  host: string;
  /** Everything that must survive a restart lives here. */
  dataDir: string;
  /** Signing secrets the webhook accepts; undefined = generate one (kept in the data folder). */
  webhookSecrets?: string[];
  trafficOrchestrator: TrafficOrchestratorChoice;
  toTimeoutMs: number;
  /** Base URL of the Stripe API for the features that call it (reconciliation); null = those are disabled. */
  stripeApiUrl: string | null;
  /** Test-mode Stripe API key for those features (the local stage is always test). */
  stripeApiKey: string;
  reconciliationIntervalSeconds: number;
  plansFile: string;
  outboxDir: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  batchSize: number;
  graceEscalationIntervalSeconds: number;
  logLevel: LocalLogLevel;
}

export class LocalConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid local configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'LocalConfigError';
  }
}

/** Reads the environment (and the working directory for relative paths); collects every problem before throwing. */
export function readLocalOptions(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LocalPipelineOptions {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const url = (name: string): string | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
      return undefined;
    }
  };

  const dataDir = path.resolve(cwd, text(LOCAL_ENV.dataDir) ?? DEFAULT_DATA_DIR);

  // The deployed rules for both secrets; their messages never echo a value.
  let webhookSecrets: string[] | undefined;
  const rawSecrets = text(LOCAL_ENV.webhookSecret);
  if (rawSecrets !== undefined) {
    try {
      webhookSecrets = parseSigningSecrets(rawSecrets, LOCAL_ENV.webhookSecret);
    } catch (error) {
      problems.push(`${(error as Error).message} (one or more comma-separated "whsec_…" secrets)`);
    }
  }

  const toApiUrl = url(LOCAL_ENV.toApiUrl);
  const toApiKey = text(LOCAL_ENV.toApiKey);
  let trafficOrchestrator: TrafficOrchestratorChoice = { kind: 'built-in', port: int(LOCAL_ENV.fakeToPort, 0, 0, 65535) };
  if (toApiUrl !== undefined && toApiKey !== undefined) {
    trafficOrchestrator = { kind: 'external', apiUrl: toApiUrl, apiKey: toApiKey };
  } else if (toApiUrl !== undefined || toApiKey !== undefined) {
    problems.push(`set both ${LOCAL_ENV.toApiUrl} and ${LOCAL_ENV.toApiKey} to use a real Traffic Orchestrator, or neither for the built-in fake`);
  }

  const stripeApiKey = text(LOCAL_ENV.stripeApiKey) ?? DEFAULT_LOCAL_STRIPE_API_KEY;
  try {
    checkStripeKeyMode(stripeApiKey, 'test'); // the local stage is always test
  } catch (error) {
    problems.push(`${LOCAL_ENV.stripeApiKey}: ${(error as Error).message}`);
  }

  const logLevel = (text(LOCAL_ENV.logLevel)?.toLowerCase() ?? 'info') as LocalLogLevel;
  if (!LOCAL_LOG_LEVELS.includes(logLevel)) problems.push(`${LOCAL_ENV.logLevel} must be one of ${LOCAL_LOG_LEVELS.join(', ')}, got ${JSON.stringify(env[LOCAL_ENV.logLevel])}`);

  const options: LocalPipelineOptions = {
    port: int(LOCAL_ENV.port, DEFAULT_PORT, 0, 65535),
    host: text(LOCAL_ENV.host) ?? DEFAULT_HOST,
    dataDir,
    webhookSecrets,
    trafficOrchestrator,
    toTimeoutMs: int(LOCAL_ENV.toTimeoutMs, DEPLOYED_DEFAULTS.toTimeoutMs, 100, 60_000),
    stripeApiUrl: url(LOCAL_ENV.stripeApiUrl) ?? null,
    stripeApiKey,
    reconciliationIntervalSeconds: int(LOCAL_ENV.reconciliationIntervalSeconds, DEFAULT_RECONCILIATION_INTERVAL_SECONDS, 1, 86_400),
    // The default is the project's own file, wherever npm was started; a value given is relative to the working folder.
    plansFile: text(LOCAL_ENV.plansFile) !== undefined ? path.resolve(cwd, text(LOCAL_ENV.plansFile) as string) : resolveProjectPath(DEPLOYED_DEFAULTS.plansFile),
    outboxDir: path.resolve(cwd, text(LOCAL_ENV.outboxDir) ?? path.join(dataDir, 'outbox')),
    visibilityTimeoutSeconds: int(LOCAL_ENV.visibilityTimeoutSeconds, DEFAULT_VISIBILITY_TIMEOUT_SECONDS, 1, 43_200),
    maxReceiveCount: int(LOCAL_ENV.maxReceiveCount, DEPLOYED_DEFAULTS.maxReceiveCount, 1, 1000),
    graceEscalationIntervalSeconds: int(LOCAL_ENV.graceEscalationIntervalSeconds, DEFAULT_GRACE_ESCALATION_INTERVAL_SECONDS, 1, 86_400),
    batchSize: DEPLOYED_DEFAULTS.batchSize,
    logLevel,
  };
  if (problems.length > 0) throw new LocalConfigError(problems);
  return options;
}
