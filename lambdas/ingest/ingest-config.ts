/**
 * The ingest Lambda's configuration, read and validated once at cold start. A bad value fails the
 * cold start with an error naming the variable, rather than answering Stripe with odd 4xx later.
 */
import { parseSigningSecrets } from '../adapters/signing-secret-sources';
import { ENV, parseStage, positiveIntEnv, requireEnv, type Stage } from '../config/env';

/**
 * SQS's message limit (256 KiB) less 1 KiB of room for the message attributes (eventId, eventType,
 * eventCreated): the largest webhook body one message holds. The stack's default and upper bound.
 */
export const DEFAULT_MAX_BODY_BYTES = 262_144 - 1_024;

export type SigningSecretsConfig =
  | { kind: 'secretsManager'; secretId: string }
  /** Local runs: the secrets themselves, from the environment. */
  | { kind: 'static'; secrets: string[] };

export interface IngestConfig {
  stage: Stage;
  /** Stripe `livemode` this stage accepts: live → true, test → false. */
  expectedLivemode: boolean;
  queueUrl: string;
  signingSecrets: SigningSecretsConfig;
  maxBodyBytes: number;
}

export function readIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const stage = parseStage(env[ENV.stage]);
  return {
    stage,
    expectedLivemode: stage === 'live',
    queueUrl: requireEnv(env, ENV.queueUrl),
    signingSecrets: readSigningSecretsConfig(env),
    maxBodyBytes: positiveIntEnv(env, ENV.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
  };
}

// A deployed function names a secret; the secret values only appear in the environment locally.
function readSigningSecretsConfig(env: NodeJS.ProcessEnv): SigningSecretsConfig {
  const secretId = env[ENV.signingSecretId]?.trim();
  if (secretId) return { kind: 'secretsManager', secretId };
  const inline = env[ENV.signingSecrets];
  if (inline === undefined || inline.trim() === '') {
    throw new Error(`Missing required environment variable ${ENV.signingSecretId} (or ${ENV.signingSecrets} for local runs)`);
  }
  return { kind: 'static', secrets: parseSigningSecrets(inline, ENV.signingSecrets) };
}
