/** Stage settings: defaults per stage, context overrides (as the CLI passes them: strings) and the errors a bad value gives. */
import { STRIPE_EVENT_RETENTION_SECONDS } from '../../lambdas/reconciliation/reconciliation-config';
import {
  resolveStageConfig,
  STRIPE_RETRY_WINDOW_SECONDS,
  StageConfigError,
  type StageConfig,
} from '../../lib/config/stage-config';

const resolve = (context: Record<string, unknown>): StageConfig => resolveStageConfig((key) => context[key]);

function problemsOf(context: Record<string, unknown>): string[] {
  try {
    resolve(context);
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as StageConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('stage defaults', () => {
  test('test is the default stage: test mode, data destroyed with the stack', () => {
    const config = resolve({});
    expect(config).toMatchObject({
      stage: 'test',
      expectedLivemode: false,
      namePrefix: 'StripeLicensing-test',
      retainData: false,
      deletionProtection: false,
      maxReceiveCount: 5,
      processorTimeoutSeconds: 30,
      batchSize: 10,
      batchingWindowSeconds: 1,
      maxConcurrency: 5,
      apiRateLimit: 50,
      apiBurstLimit: 100,
      maxBodyBytes: 261_120,
      idempotencyExpirySeconds: 345_600,
      purchaseLeaseSeconds: 60,
      toApiUrl: 'https://api.trafficorchestrator.com/api/v1',
      toTimeoutMs: 5000,
      graceEscalationIntervalMinutes: 15,
      reconciliationIntervalMinutes: 60,
      reconciliationLookbackHours: 96,
      stripeApiUrl: 'https://api.stripe.com',
      stripeTimeoutMs: 10_000,
      logRetentionDays: 14,
      plansFile: 'config/plans.json',
    });
    expect(config.alarmEmail).toBeUndefined();
  });

  test('live expects livemode events and keeps its data', () => {
    expect(resolve({ stage: 'live' })).toMatchObject({
      stage: 'live',
      expectedLivemode: true,
      namePrefix: 'StripeLicensing-live',
      retainData: true,
      deletionProtection: true,
      logRetentionDays: 90,
    });
  });

  test('the default idempotency window outlasts Stripe retries', () => {
    expect(resolve({}).idempotencyExpirySeconds).toBeGreaterThan(STRIPE_RETRY_WINDOW_SECONDS);
  });

  test('the default reconciliation window outlasts Stripe retries and stays within the 30 days Stripe keeps events', () => {
    const hours = resolve({}).reconciliationLookbackHours;
    expect(hours * 3600).toBeGreaterThan(STRIPE_RETRY_WINDOW_SECONDS);
    expect(hours * 3600).toBeLessThanOrEqual(STRIPE_EVENT_RETENTION_SECONDS);
  });
});

describe('context overrides', () => {
  test('numbers given on the command line arrive as strings and are accepted', () => {
    const config = resolve({ maxReceiveCount: '3', maxConcurrency: '20', apiRateLimit: 10, alarmEmail: 'oncall@example.com' });
    expect(config.maxReceiveCount).toBe(3);
    expect(config.maxConcurrency).toBe(20);
    expect(config.apiRateLimit).toBe(10);
    expect(config.alarmEmail).toBe('oncall@example.com');
  });

  test('reconciliation settings', () => {
    expect(resolve({
      reconciliationIntervalMinutes: '5', reconciliationLookbackHours: '720', stripeApiUrl: ' https://stripe.internal.example.com ', stripeTimeoutMs: '60000',
    })).toMatchObject({
      reconciliationIntervalMinutes: 5, reconciliationLookbackHours: 720, stripeApiUrl: 'https://stripe.internal.example.com', stripeTimeoutMs: 60_000,
    });
    expect(resolve({ reconciliationIntervalMinutes: 1440, reconciliationLookbackHours: 24 })).toMatchObject({ reconciliationIntervalMinutes: 1440, reconciliationLookbackHours: 24 });
  });

  test('the purchase lease follows the processor timeout (+30 s)', () => {
    expect(resolve({ processorTimeoutSeconds: '120' }).purchaseLeaseSeconds).toBe(150);
  });
});

describe('bad values fail synth, naming the context key', () => {
  test.each([
    [{ stage: 'prod' }, /context "stage": must be "test" or "live", got "prod"/],
    [{ maxConcurrency: '1' }, /context "maxConcurrency": must be an integer from 2 to 1000 .*got "1"/],
    [{ maxReceiveCount: 'five' }, /context "maxReceiveCount": .*got "five"/],
    [{ idempotencyExpirySeconds: STRIPE_RETRY_WINDOW_SECONDS }, /context "idempotencyExpirySeconds": .*3-day retry window/],
    [{ processorTimeoutSeconds: 901 }, /context "processorTimeoutSeconds": .*Lambda maximum 900/],
    [{ toTimeoutMs: 20_000 }, /context "toTimeoutMs": .*half the processor timeout/],
    [{ toApiUrl: 'http://api.example.com' }, /context "toApiUrl": must be an https:\/\/ URL/],
    [{ logRetentionDays: 10 }, /context "logRetentionDays": CloudWatch Logs accepts only/],
    [{ alarmEmail: 'not-an-address' }, /context "alarmEmail": must be an e-mail address/],
    [{ maxBodyBytes: 300_000 }, /context "maxBodyBytes": .*256 KiB/],
    [{ graceEscalationIntervalMinutes: 0 }, /context "graceEscalationIntervalMinutes": must be an integer from 1 to 1440 \(minutes; at most a day\)/],
    [{ graceEscalationIntervalMinutes: 2000 }, /context "graceEscalationIntervalMinutes": must be an integer from 1 to 1440/],
    [{ batchSize: 50, batchingWindowSeconds: 0 }, /context "batchSize": a batch size above 10 needs "batchingWindowSeconds" > 0/],
    [{ reconciliationIntervalMinutes: 4 }, /context "reconciliationIntervalMinutes": must be an integer from 5 to 1440 \(minutes; at most a day\), got 4/],
    [{ reconciliationIntervalMinutes: '1441' }, /context "reconciliationIntervalMinutes": must be an integer from 5 to 1440/],
    [{ reconciliationLookbackHours: 0 }, /context "reconciliationLookbackHours": must be an integer from 1 to 720 \(hours; Stripe keeps events 30 days\), got 0/],
    [{ reconciliationLookbackHours: 721 }, /context "reconciliationLookbackHours": must be an integer from 1 to 720/],
    [{ reconciliationLookbackHours: 1, reconciliationIntervalMinutes: 120 }, /context "reconciliationLookbackHours": must cover at least one "reconciliationIntervalMinutes" \(120 minutes\)/],
    [{ stripeApiUrl: 'http://api.stripe.com' }, /context "stripeApiUrl": must be an https:\/\/ URL, got "http:\/\/api.stripe.com"/],
    [{ stripeApiUrl: 42 }, /context "stripeApiUrl": must be a non-empty string/],
    [{ stripeTimeoutMs: 99 }, /context "stripeTimeoutMs": must be an integer from 100 to 60000/],
    [{ stripeTimeoutMs: 60_001 }, /context "stripeTimeoutMs": must be an integer from 100 to 60000/],
  ])('%j', (context, message) => {
    expect(() => resolve(context)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf({ maxConcurrency: 0, apiBurstLimit: -1, alarmEmail: 'x' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toEqual(expect.stringContaining('"maxConcurrency"'));
    expect(problems.join('\n')).toEqual(expect.stringContaining('"apiBurstLimit"'));
    expect(problems.join('\n')).toEqual(expect.stringContaining('"alarmEmail"'));
  });
});

describe('stage-scoped keys', () => {
  test('`<stage>:<key>` wins over `<key>` for its own stage only', () => {
    const context = { 'alarmEmail': 'team@example.com', 'live:alarmEmail': 'oncall@example.com', 'live:maxConcurrency': 50 };
    expect(resolve({ ...context, stage: 'live' })).toMatchObject({ alarmEmail: 'oncall@example.com', maxConcurrency: 50 });
    expect(resolve({ ...context, stage: 'test' })).toMatchObject({ alarmEmail: 'team@example.com', maxConcurrency: 5 });
  });

  test('an error names the scoped key that was used', () => {
    expect(() => resolve({ stage: 'live', 'live:maxReceiveCount': 0 })).toThrow(/context "live:maxReceiveCount"/);
    expect(() => resolve({ stage: 'live', 'live:stripeApiUrl': 'http://x' })).toThrow(/context "live:stripeApiUrl": must be an https:\/\/ URL/);
  });
});
