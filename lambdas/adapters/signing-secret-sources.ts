/**
 * Where the Stripe webhook signing secret(s) come from. Deployed: one Secrets Manager secret, read
 * through Powertools parameters and cached. Local runs: the environment. Several secrets are
 * allowed so a secret can be rolled without dropping deliveries (old and new both verify).
 *
 * Errors here name the source but never echo a secret's value.
 */
import { getSecret, type SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SigningSecretSource } from '../ports/secrets';

/** How long a fetched secret is reused before Secrets Manager is asked again (seconds). */
export const SIGNING_SECRET_CACHE_SECONDS = 300;

const SIGNING_SECRET_PREFIX = 'whsec_';

/**
 * Parses a signing secret list: either JSON `{"signingSecrets":["whsec_…", …]}` or plain text
 * `whsec_…` (comma-separated for several). `origin` names where the text came from, for errors.
 */
export function parseSigningSecrets(text: string, origin: string): string[] {
  const trimmed = text.trim();
  let candidates: unknown[];
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error(`${origin}: secret value looks like JSON but does not parse`);
    }
    const list = (parsed as { signingSecrets?: unknown }).signingSecrets;
    if (!Array.isArray(list)) throw new Error(`${origin}: JSON secret must have a "signingSecrets" array of "whsec_…" strings`);
    candidates = list;
  } else {
    candidates = trimmed.split(',');
  }

  const secrets = candidates.map((c) => (typeof c === 'string' ? c.trim() : c)).filter((c) => c !== '');
  if (secrets.length === 0) throw new Error(`${origin}: no webhook signing secret configured (empty list)`);
  secrets.forEach((secret, index) => {
    if (typeof secret !== 'string' || !secret.startsWith(SIGNING_SECRET_PREFIX)) {
      throw new Error(`${origin}: signing secret #${index + 1} is not a "${SIGNING_SECRET_PREFIX}…" string`);
    }
  });
  return secrets as string[];
}

/** Fixed secrets (local runs, tests). */
export class StaticSigningSecretSource implements SigningSecretSource {
  private readonly secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('StaticSigningSecretSource: no webhook signing secret given');
    this.secrets = [...secrets];
  }

  async getSigningSecrets(): Promise<string[]> {
    return [...this.secrets];
  }
}

export interface SecretsManagerSigningSecretSourceOptions {
  /** Defaults to Powertools' shared provider (getSecret). Tests pass one built on their own client. */
  provider?: SecretsProvider;
  maxAgeSeconds?: number;
}

/** Secrets Manager secret (name or ARN) holding the signing secret(s), cached for `maxAgeSeconds`. */
export class SecretsManagerSigningSecretSource implements SigningSecretSource {
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly secretId: string,
    private readonly options: SecretsManagerSigningSecretSourceOptions = {},
  ) {
    this.maxAgeSeconds = options.maxAgeSeconds ?? SIGNING_SECRET_CACHE_SECONDS;
  }

  async getSigningSecrets(): Promise<string[]> {
    const getOptions = { maxAge: this.maxAgeSeconds };
    const value = this.options.provider
      ? await this.options.provider.get(this.secretId, getOptions)
      : await getSecret(this.secretId, getOptions);
    if (value === undefined) throw new Error(`Secrets Manager secret ${this.secretId} has no value`);
    const text = typeof value === 'string' ? value : new TextDecoder().decode(value);
    return parseSigningSecrets(text, `Secrets Manager secret ${this.secretId}`);
  }
}
