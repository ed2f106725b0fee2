/**
 * Signing secret sources. The Secrets Manager one runs through the real Powertools SecretsProvider
 * (caching, decoding) with aws-sdk-client-mock answering GetSecretValue: there is no local Secrets
 * Manager emulator, and the wire protocol is not what is under test here.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  parseSigningSecrets,
  SecretsManagerSigningSecretSource,
  StaticSigningSecretSource,
} from '../../lambdas/adapters/signing-secret-sources';

const A = 'whsec_aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'whsec_bbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET_ID = 'stripe-licensing/test/stripe-webhook-signing';

describe('parseSigningSecrets', () => {
  it.each([
    ['JSON list', JSON.stringify({ signingSecrets: [A, B] }), [A, B]],
    ['JSON list with one secret', JSON.stringify({ signingSecrets: [A] }), [A]],
    ['plain secret', A, [A]],
    ['plain secret with a trailing newline', `${A}\n`, [A]],
    ['comma-separated secrets', `${A},${B}`, [A, B]],
  ])('reads a %s', (_name, text, expected) => {
    expect(parseSigningSecrets(text, 'origin')).toEqual(expected);
  });

  it.each([
    ['an empty JSON list', JSON.stringify({ signingSecrets: [] }), /origin: no webhook signing secret configured/],
    ['an empty string', '  ', /origin: no webhook signing secret configured/],
    ['JSON without the list', JSON.stringify({ secret: A }), /origin: JSON secret must have a "signingSecrets" array/],
    ['broken JSON', `{"signingSecrets": ["${A}"`, /origin: secret value looks like JSON but does not parse/],
    ['a non-string entry', JSON.stringify({ signingSecrets: [A, 42] }), /origin: signing secret #2 is not a "whsec_…" string/],
  ])('rejects %s with a clear error', (_name, text, message) => {
    expect(() => parseSigningSecrets(text, 'origin')).toThrow(message);
  });

  it('rejects a value that is not a signing secret without echoing it', () => {
    const apiKey = 'sk_live_51Hverysecret';
    expect(() => parseSigningSecrets(JSON.stringify({ signingSecrets: [apiKey] }), 'origin')).toThrow(/#1 is not a "whsec_…" string/);
    expect(() => parseSigningSecrets(apiKey, 'origin')).toThrow(expect.objectContaining({ message: expect.not.stringContaining(apiKey) }));
  });
});

describe('StaticSigningSecretSource', () => {
  it('returns its secrets and refuses an empty list', async () => {
    await expect(new StaticSigningSecretSource([A, B]).getSigningSecrets()).resolves.toEqual([A, B]);
    expect(() => new StaticSigningSecretSource([])).toThrow('no webhook signing secret');
  });
});

describe('SecretsManagerSigningSecretSource', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const client = () => new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  beforeEach(() => secretsManager.reset());
  afterAll(() => secretsManager.restore());

  it('reads the JSON list from the named secret', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: JSON.stringify({ signingSecrets: [A, B] }) });
    const source = new SecretsManagerSigningSecretSource(SECRET_ID, { provider: new SecretsProvider({ awsSdkV3Client: client() }) });
    await expect(source.getSigningSecrets()).resolves.toEqual([A, B]);
  });

  it('accepts a secret stored as the plain whsec_ string', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: A });
    const source = new SecretsManagerSigningSecretSource(SECRET_ID, { provider: new SecretsProvider({ awsSdkV3Client: client() }) });
    await expect(source.getSigningSecrets()).resolves.toEqual([A]);
  });

  it('fails clearly, naming the secret, when the list is empty', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ signingSecrets: [] }) });
    const source = new SecretsManagerSigningSecretSource(SECRET_ID, { provider: new SecretsProvider({ awsSdkV3Client: client() }) });
    await expect(source.getSigningSecrets()).rejects.toThrow(`Secrets Manager secret ${SECRET_ID}: no webhook signing secret configured`);
  });

  it('asks Secrets Manager once per cache period, not once per webhook', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: A });
    const source = new SecretsManagerSigningSecretSource(SECRET_ID, { provider: new SecretsProvider({ awsSdkV3Client: client() }) });
    await source.getSigningSecrets();
    await source.getSigningSecrets();
    await source.getSigningSecrets();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('asks again once the cache period is over', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: A }).resolves({ SecretString: `${A},${B}` });
    const source = new SecretsManagerSigningSecretSource(SECRET_ID, {
      provider: new SecretsProvider({ awsSdkV3Client: client() }),
      maxAgeSeconds: 300,
    });
    const realNow = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(realNow);
    try {
      await expect(source.getSigningSecrets()).resolves.toEqual([A]);
      now.mockReturnValue(realNow + 299_000);
      await expect(source.getSigningSecrets()).resolves.toEqual([A]);
      now.mockReturnValue(realNow + 301_000);
      await expect(source.getSigningSecrets()).resolves.toEqual([A, B]);
    } finally {
      now.mockRestore();
    }
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
