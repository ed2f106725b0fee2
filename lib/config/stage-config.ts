/**
 * Per-stage deployment settings. Defaults live here; a platform engineer overrides them with CDK
 * context (`-c key=value` or the `context` block of cdk.json), either for every stage (`alarmEmail`)
 * or for one (`live:alarmEmail`, which wins). Everything is validated once, when the app is built,
 * and a bad value fails `cdk synth` with a message naming the context key.
 *
 * Pure: no constructs are created here, so the values can be unit-tested and read by docs/tests.
 */
import type { Stage } from '../../lambdas/config/env';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambdas/ingest/ingest-config';
import { DEFAULT_TO_TIMEOUT_MS } from '../../lambdas/processor/workflow-config';
import { DEFAULT_STRIPE_API_URL, DEFAULT_STRIPE_TIMEOUT_MS, STRIPE_EVENT_RETENTION_SECONDS } from '../../lambdas/reconciliation/reconciliation-config';

/** Stripe retries a webhook for up to 3 days in live mode; idempotency records must outlive that. */
export const STRIPE_RETRY_WINDOW_SECONDS = 3 * 86_400;

/** The largest webhook body that still fits one SQS message with its attributes (the ingest Lambda's own default). */
export const MAX_WEBHOOK_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;

/**
 * The grace-escalation Lambda's timeout. Each run stops starting new purchases when less than one
 * purchase lease is left and leaves the rest to the next run, so this only bounds one run's batch.
 */
export const GRACE_ESCALATION_TIMEOUT_SECONDS = 300;

/**
 * The reconciliation Lambda's timeout: one run pages through the lookback window's paid checkouts
 * (one ledger read each); a run cut short loses nothing, the next covers the same window.
 */
export const RECONCILIATION_TIMEOUT_SECONDS = 300;

/**
 * Reconciliation judges an event only once it is this old: until then it may still be in the queue
 * or its retries (maxReceiveCount × visibility timeout is 15 minutes with the defaults).
 */
export const RECONCILIATION_SETTLE_SECONDS = 900;

/** Log retention values CloudWatch Logs accepts (days). */
export const ALLOWED_LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Context keys a platform engineer may set (documented in docs/deploy.md). */
export const CONTEXT_KEYS = {
  stage: 'stage',
  alarmEmail: 'alarmEmail',
  plansFile: 'plansFile',
  maxReceiveCount: 'maxReceiveCount',
  processorTimeoutSeconds: 'processorTimeoutSeconds',
  batchSize: 'batchSize',
  batchingWindowSeconds: 'batchingWindowSeconds',
  maxConcurrency: 'maxConcurrency',
  apiRateLimit: 'apiRateLimit',
  apiBurstLimit: 'apiBurstLimit',
  maxBodyBytes: 'maxBodyBytes',
  idempotencyExpirySeconds: 'idempotencyExpirySeconds',
  toApiUrl: 'toApiUrl',
  toTimeoutMs: 'toTimeoutMs',
  graceEscalationIntervalMinutes: 'graceEscalationIntervalMinutes',
  reconciliationIntervalMinutes: 'reconciliationIntervalMinutes',
  reconciliationLookbackHours: 'reconciliationLookbackHours',
  stripeApiUrl: 'stripeApiUrl',
  stripeTimeoutMs: 'stripeTimeoutMs',
  logRetentionDays: 'logRetentionDays',
} as const;

export interface StageConfig {
  stage: Stage;
  /** Stripe `livemode` the stage accepts (live stage → true). */
  expectedLivemode: boolean;
  /** Prefix of stack names and of resource names people read (alarms, dashboard). */
  namePrefix: string;
  /** Live keeps its data (tables, queues, secrets, logs) when a stack is deleted; test does not. */
  retainData: boolean;
  /** DynamoDB deletion protection (live only). */
  deletionProtection: boolean;
  /** Receives before SQS moves a message to the DLQ. */
  maxReceiveCount: number;
  processorTimeoutSeconds: number;
  batchSize: number;
  batchingWindowSeconds: number;
  /** Event source mapping's maximum concurrent processor invocations (AWS minimum 2). */
  maxConcurrency: number;
  apiRateLimit: number;
  apiBurstLimit: number;
  maxBodyBytes: number;
  idempotencyExpirySeconds: number;
  /** How long a purchase stays leased by one processor invocation: past its timeout, so a crash frees it. */
  purchaseLeaseSeconds: number;
  toApiUrl: string;
  toTimeoutMs: number;
  /** How often EventBridge Scheduler runs the grace-escalation job. */
  graceEscalationIntervalMinutes: number;
  /** How often EventBridge Scheduler runs the reconciliation job. */
  reconciliationIntervalMinutes: number;
  /** How far back each reconciliation run looks at Stripe's paid checkouts. */
  reconciliationLookbackHours: number;
  /** Stripe API base URL the reconciliation job reads events from. */
  stripeApiUrl: string;
  /** Timeout of one Stripe API call of the reconciliation job. */
  stripeTimeoutMs: number;
  logRetentionDays: number;
  /** Optional e-mail address subscribed to the alarm topic. */
  alarmEmail?: string;
  /** Plans config file, relative to the project root unless absolute. */
  plansFile: string;
}

/** Prefix of a stage's stack names and of the resource names people read or look up. */
export function stageNamePrefix(stage: Stage): string {
  return `StripeLicensing-${stage}`;
}

/** Names of the stateful resources, fixed per stage so the ops tool (ops/cli.ts) finds them without stack outputs. */
export function stageResourceNames(namePrefix: string) {
  return {
    ledgerTable: `${namePrefix}-ledger`,
    idempotencyTable: `${namePrefix}-idempotency`,
    provisioningQueue: `${namePrefix}-provisioning`,
    deadLetterQueue: `${namePrefix}-provisioning-dlq`,
  };
}

export const DEFAULT_TO_API_URL = 'https://api.trafficorchestrator.com/api/v1';
export const DEFAULT_PLANS_FILE = 'config/plans.json';

/** Defaults per stage; only what differs between stages is listed under the stage. */
const DEFAULTS = {
  common: {
    maxReceiveCount: 5,
    processorTimeoutSeconds: 30,
    batchSize: 10,
    batchingWindowSeconds: 1,
    maxConcurrency: 5,
    apiRateLimit: 50,
    apiBurstLimit: 100,
    maxBodyBytes: MAX_WEBHOOK_BODY_BYTES,
    idempotencyExpirySeconds: 4 * 86_400,
    toApiUrl: DEFAULT_TO_API_URL,
    toTimeoutMs: DEFAULT_TO_TIMEOUT_MS,
    graceEscalationIntervalMinutes: 15,
    reconciliationIntervalMinutes: 60,
    // Stripe retries a webhook for 3 days; a day more, so a payment whose webhook never arrived is still in the window.
    reconciliationLookbackHours: 96,
    stripeApiUrl: DEFAULT_STRIPE_API_URL,
    stripeTimeoutMs: DEFAULT_STRIPE_TIMEOUT_MS,
    plansFile: DEFAULT_PLANS_FILE,
  },
  test: { logRetentionDays: 14 },
  live: { logRetentionDays: 90 },
} as const;

export class StageConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stage configuration (CDK context):\n- ${problems.join('\n- ')}`);
    this.name = 'StageConfigError';
  }
}

/** Reads a context value; `undefined` when unset. Matches `node.tryGetContext`. */
export type ContextReader = (key: string) => unknown;

/**
 * Builds and validates the configuration of the stage named by the `stage` context key (default
 * `test`). Collects every problem before throwing, so one synth shows all of them.
 */
export function resolveStageConfig(readContext: ContextReader): StageConfig {
  const problems: string[] = [];
  const rawStage = readContext(CONTEXT_KEYS.stage) ?? 'test';
  if (rawStage !== 'test' && rawStage !== 'live') {
    throw new StageConfigError([`context "${CONTEXT_KEYS.stage}": must be "test" or "live", got ${JSON.stringify(rawStage)}`]);
  }
  const stage: Stage = rawStage;
  const defaults = { ...DEFAULTS.common, ...DEFAULTS[stage] };

  /** `<stage>:<key>` (e.g. `live:alarmEmail`) wins over `<key>`, so cdk.json can hold both stages' settings. */
  const lookup = (key: string): { name: string; raw: unknown } => {
    const scoped = `${stage}:${key}`;
    const scopedValue = readContext(scoped);
    if (scopedValue !== undefined && scopedValue !== null && scopedValue !== '') return { name: scoped, raw: scopedValue };
    return { name: key, raw: readContext(key) };
  };
  const int = (key: keyof typeof defaults & keyof typeof CONTEXT_KEYS, min: number, max: number, why = ''): number => {
    const fallback = defaults[key] as number;
    const { name, raw } = lookup(CONTEXT_KEYS[key]);
    if (raw === undefined || raw === null || raw === '') return fallback;
    // `-c key=5` arrives as the string "5"; cdk.json gives a number.
    const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`context "${name}": must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const text = (key: 'toApiUrl' | 'stripeApiUrl' | 'plansFile'): string => {
    const { name, raw } = lookup(CONTEXT_KEYS[key]);
    if (raw === undefined || raw === null || raw === '') return defaults[key];
    if (typeof raw !== 'string' || raw.trim() === '') {
      problems.push(`context "${name}": must be a non-empty string, got ${JSON.stringify(raw)}`);
      return defaults[key];
    }
    return raw.trim();
  };

  const processorTimeoutSeconds = int('processorTimeoutSeconds', 1, 900, ' (Lambda maximum 900)');
  const batchingWindowSeconds = int('batchingWindowSeconds', 0, 300, ' (SQS event source maximum 300)');
  const batchSize = int('batchSize', 1, 10_000);
  if (batchSize > 10 && batchingWindowSeconds === 0) {
    problems.push(`context "${CONTEXT_KEYS.batchSize}": a batch size above 10 needs "${CONTEXT_KEYS.batchingWindowSeconds}" > 0 (SQS event source rule), got ${batchSize}`);
  }
  const apiRateLimit = int('apiRateLimit', 1, 10_000);
  const apiBurstLimit = int('apiBurstLimit', 1, 5_000);
  const idempotencyExpirySeconds = int('idempotencyExpirySeconds', STRIPE_RETRY_WINDOW_SECONDS + 1, 30 * 86_400,
    ` (must exceed Stripe's 3-day retry window of ${STRIPE_RETRY_WINDOW_SECONDS} s)`);
  // The TO call has to finish (or time out) well inside the processor's own timeout.
  const toTimeoutMs = int('toTimeoutMs', 100, Math.max(100, Math.floor(processorTimeoutSeconds * 1000 / 2)),
    ' (at most half the processor timeout)');

  const httpsUrl = (key: 'toApiUrl' | 'stripeApiUrl'): string => {
    const url = text(key);
    if (!/^https:\/\/[^\s/]+/.test(url)) problems.push(`context "${lookup(CONTEXT_KEYS[key]).name}": must be an https:// URL, got ${JSON.stringify(url)}`);
    return url;
  };
  const toApiUrl = httpsUrl('toApiUrl');

  const reconciliationIntervalMinutes = int('reconciliationIntervalMinutes', 5, 1440, ' (minutes; at most a day)');
  const maxLookbackHours = STRIPE_EVENT_RETENTION_SECONDS / 3600;
  const reconciliationLookbackHours = int('reconciliationLookbackHours', 1, maxLookbackHours, ` (hours; Stripe keeps events ${maxLookbackHours / 24} days)`);
  // Consecutive windows must overlap, or a payment falling between two runs' windows is never checked.
  if (reconciliationLookbackHours * 60 < reconciliationIntervalMinutes) {
    problems.push(`context "${lookup(CONTEXT_KEYS.reconciliationLookbackHours).name}": must cover at least one "${CONTEXT_KEYS.reconciliationIntervalMinutes}" `
      + `(${reconciliationIntervalMinutes} minutes), or payments between two runs' windows are never checked, got ${reconciliationLookbackHours}`);
  }

  const logRetentionDays = int('logRetentionDays', 1, 3653);
  if (!(ALLOWED_LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    problems.push(`context "${lookup(CONTEXT_KEYS.logRetentionDays).name}": CloudWatch Logs accepts only ${ALLOWED_LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`);
  }

  let alarmEmail: string | undefined;
  const { name: emailKey, raw: rawEmail } = lookup(CONTEXT_KEYS.alarmEmail);
  if (rawEmail !== undefined && rawEmail !== null && rawEmail !== '') {
    if (typeof rawEmail !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(rawEmail.trim())) {
      problems.push(`context "${emailKey}": must be an e-mail address, got ${JSON.stringify(rawEmail)}`);
    } else {
      alarmEmail = rawEmail.trim();
    }
  }

  const config: StageConfig = {
    stage,
    expectedLivemode: stage === 'live',
    namePrefix: stageNamePrefix(stage),
    retainData: stage === 'live',
    deletionProtection: stage === 'live',
    maxReceiveCount: int('maxReceiveCount', 1, 1000, ' (SQS redrive policy range)'),
    processorTimeoutSeconds,
    batchSize,
    batchingWindowSeconds,
    maxConcurrency: int('maxConcurrency', 2, 1000, ' (AWS allows 2 to 1000)'),
    apiRateLimit,
    apiBurstLimit,
    maxBodyBytes: int('maxBodyBytes', 1024, MAX_WEBHOOK_BODY_BYTES, ' (an SQS message holds at most 256 KiB, attributes included)'),
    idempotencyExpirySeconds,
    purchaseLeaseSeconds: processorTimeoutSeconds + 30,
    toApiUrl,
    toTimeoutMs,
    // A ladder step lands at most one interval after its day starts; a day is the ladder's unit.
    graceEscalationIntervalMinutes: int('graceEscalationIntervalMinutes', 1, 1440, ' (minutes; at most a day)'),
    reconciliationIntervalMinutes,
    reconciliationLookbackHours,
    stripeApiUrl: httpsUrl('stripeApiUrl'),
    stripeTimeoutMs: int('stripeTimeoutMs', 100, 60_000),
    logRetentionDays,
    alarmEmail,
    plansFile: text('plansFile'),
  };
  if (problems.length > 0) throw new StageConfigError(problems);
  return config;
}
