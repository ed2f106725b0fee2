/**
 * A plain-text API credential (the Traffic Orchestrator key, the Stripe API key): deployed, a
 * Secrets Manager secret read through Powertools' cache; locally and in tests, the value itself.
 * Errors name the secret, never its value.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CredentialSource } from '../config/env';

/** Secrets Manager reads are cached by Powertools; a rotated credential is picked up within this time. */
export const SECRET_MAX_AGE_SECONDS = 300;

/**
 * Reads the credential, through the cache when it is a secret. The stacks create such secrets with
 * an `unset: …` placeholder until someone puts the real value in; that fails here, naming the secret.
 */
export async function readCredential(source: CredentialSource, what: string): Promise<string> {
  if ('value' in source) return source.value;
  const secret = await getSecret<string>(source.secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
  if (typeof secret !== 'string' || secret.trim() === '' || secret.startsWith('unset:')) {
    throw new Error(`secret ${source.secretId} holds no ${what} yet (see docs/deploy.md)`);
  }
  return secret.trim();
}

/**
 * The client for the credential in force: `readKey` runs before each use (through the secrets
 * cache), and the client is rebuilt only when the key changed, so a rotated credential is used
 * within SECRET_MAX_AGE_SECONDS without a redeploy or a cold start.
 */
export function clientForCurrentCredential<T>(readKey: () => Promise<string>, build: (key: string) => T): () => Promise<T> {
  let current: { key: string; client: T } | undefined;
  return async () => {
    const key = await readKey();
    if (current?.key !== key) current = { key, client: build(key) };
    return current.client;
  };
}
