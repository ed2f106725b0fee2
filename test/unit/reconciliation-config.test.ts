import { DEFAULT_STRIPE_API_URL, readReconciliationConfig } from '../../lambdas/reconciliation/reconciliation-config';
import { checkStripeKeyMode } from '../../lambdas/reconciliation/reconciliation-config';

const base = { STAGE: 'live', LEDGER_TABLE_NAME: 'ledger', QUEUE_URL: 'https://sqs.local/000000000000/provisioning', STRIPE_API_KEY_SECRET_ID: 'arn:stripe-key' };

describe('readReconciliationConfig', () => {
  it('reads the deployed configuration with its defaults: Stripe itself, 4 days back, 15 minutes to settle', () => {
    expect(readReconciliationConfig(base)).toEqual({
      stage: 'live',
      ledgerTableName: 'ledger',
      queueUrl: base.QUEUE_URL,
      stripe: { apiUrl: DEFAULT_STRIPE_API_URL, apiKey: { secretId: 'arn:stripe-key' }, timeoutMs: 10_000 },
      lookbackSeconds: 4 * 86_400,
      settleSeconds: 900,
    });
    expect(DEFAULT_STRIPE_API_URL).toBe('https://api.stripe.com');
  });

  it('takes a local key and a local Stripe API', () => {
    const config = readReconciliationConfig({ ...base, STRIPE_API_KEY_SECRET_ID: undefined, STRIPE_API_KEY: 'sk_test_1', STRIPE_API_URL: 'http://127.0.0.1:12111' });
    expect(config.stripe).toMatchObject({ apiUrl: 'http://127.0.0.1:12111', apiKey: { value: 'sk_test_1' } });
  });

  it.each([
    [{ STRIPE_API_KEY_SECRET_ID: undefined }, 'Set STRIPE_API_KEY_SECRET_ID (deployed) or STRIPE_API_KEY (local)'],
    [{ STRIPE_API_URL: 'api.stripe.com' }, 'STRIPE_API_URL must be an http(s) URL, got "api.stripe.com"'],
    [{ STRIPE_API_URL: 'ftp://stripe' }, 'STRIPE_API_URL must be an http(s) URL, got "ftp://stripe"'],
    [{ RECONCILIATION_LOOKBACK_SECONDS: String(31 * 86_400) }, 'RECONCILIATION_LOOKBACK_SECONDS must be at most 2592000 (Stripe keeps events 30 days)'],
    [{ RECONCILIATION_SETTLE_SECONDS: '-5' }, 'RECONCILIATION_SETTLE_SECONDS must be a positive integer, got "-5"'],
    [{ QUEUE_URL: '' }, 'Missing required environment variable QUEUE_URL'],
    [{ STAGE: 'prod' }, 'STAGE must be "test" or "live", got "prod"'],
  ])('refuses %j with a message naming the variable', (change, message) => {
    expect(() => readReconciliationConfig({ ...base, ...change })).toThrow(message);
  });
});

describe('checkStripeKeyMode', () => {
  it('accepts secret and restricted keys of the stage\'s mode', () => {
    for (const key of ['sk_live_1', 'rk_live_1']) expect(() => checkStripeKeyMode(key, 'live')).not.toThrow();
    for (const key of ['sk_test_1', 'rk_test_1']) expect(() => checkStripeKeyMode(key, 'test')).not.toThrow();
  });

  it('refuses a key of the other mode, and anything that is not a secret or restricted key, without echoing it', () => {
    expect(() => checkStripeKeyMode('rk_test_secretvalue', 'live')).toThrow('the Stripe API key is a test-mode key; the live stage needs a live-mode key');
    expect(() => checkStripeKeyMode('pk_live_secretvalue', 'live')).toThrow(/^the Stripe API key is not a secret/);
    let message = '';
    try { checkStripeKeyMode('whsec_secretvalue', 'test'); } catch (error) { message = (error as Error).message; }
    expect(message).toMatch(/^the Stripe API key is not a secret/);
    expect(message).not.toContain('secretvalue');
  });
});
