/**
 * A plain-text API credential (the Traffic Orchestrator key, the Stripe API key): deployed, a
 * Secrets Manager secret read through Powertools' cache; locally and in tests, the value itself.
 * Errors name the secret, never its value.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** Where a credential comes from: a Secrets Manager secret (deployed) or the value itself (local runs, tests). */
export type CredentialSource = { secretId: string } | { value: string };

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
