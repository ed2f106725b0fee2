import { DEFAULT_MAX_BODY_BYTES, readIngestConfig } from '../../lambdas/ingest/ingest-config';

const SECRET = 'whsec_local_0123456789abcdef';
const base = { STAGE: 'test', QUEUE_URL: 'http://sqs.local/000000000000/provisioning', STRIPE_WEBHOOK_SECRET: SECRET };

describe('readIngestConfig', () => {
  it('reads a local configuration with the defaults', () => {
    expect(readIngestConfig(base)).toEqual({
      stage: 'test',
      expectedLivemode: false,
      queueUrl: base.QUEUE_URL,
      signingSecrets: { kind: 'static', secrets: [SECRET] },
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    });
    expect(DEFAULT_MAX_BODY_BYTES).toBe(261_120);
  });

  it('expects livemode events on the live stage only', () => {
    expect(readIngestConfig({ ...base, STAGE: 'live' }).expectedLivemode).toBe(true);
    expect(readIngestConfig({ ...base, STAGE: 'test' }).expectedLivemode).toBe(false);
  });

  it('prefers the Secrets Manager secret id when both are set', () => {
    const config = readIngestConfig({ ...base, STRIPE_SIGNING_SECRET_ID: 'stripe/webhook-signing' });
    expect(config.signingSecrets).toEqual({ kind: 'secretsManager', secretId: 'stripe/webhook-signing' });
  });

  it('reads a comma-separated list of local secrets (rotation)', () => {
    const config = readIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET: ` ${SECRET} , whsec_next_0123456789 ` });
    expect(config.signingSecrets).toEqual({ kind: 'static', secrets: [SECRET, 'whsec_next_0123456789'] });
  });

  it('reads MAX_BODY_BYTES', () => {
    expect(readIngestConfig({ ...base, MAX_BODY_BYTES: '1024' }).maxBodyBytes).toBe(1024);
  });

  it.each([
    ['STAGE', { ...base, STAGE: 'prod' }],
    ['STAGE', { ...base, STAGE: undefined }],
    ['QUEUE_URL', { ...base, QUEUE_URL: '' }],
    ['STRIPE_SIGNING_SECRET_ID', { ...base, STRIPE_WEBHOOK_SECRET: undefined }],
    ['MAX_BODY_BYTES', { ...base, MAX_BODY_BYTES: '-5' }],
    ['MAX_BODY_BYTES', { ...base, MAX_BODY_BYTES: '1kb' }],
    ['STRIPE_WEBHOOK_SECRET', { ...base, STRIPE_WEBHOOK_SECRET: ' , ' }],
  ])('names %s when it is missing or invalid', (name, env) => {
    expect(() => readIngestConfig(env)).toThrow(name);
  });

  it('rejects a local secret that is not a webhook signing secret, without echoing it', () => {
    const apiKey = 'sk_test_51Hsupersecretvalue';
    expect(() => readIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET: apiKey })).toThrow(/STRIPE_WEBHOOK_SECRET.*whsec_/);
    try {
      readIngestConfig({ ...base, STRIPE_WEBHOOK_SECRET: apiKey });
    } catch (error) {
      expect((error as Error).message).not.toContain(apiKey);
    }
  });
});
