/**
 * The three third-party credentials, in Secrets Manager. The stack creates them with a placeholder
 * that is not a credential; the platform engineer puts the real values in after the first deploy
 * (docs/deploy.md), so no credential ever passes through CloudFormation or cdk.out.
 */
import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Until set, ingest answers every webhook 5xx ("no webhook signing secret configured" in its log), so Stripe keeps retrying. */
export const SIGNING_SECRET_PLACEHOLDER = JSON.stringify({ signingSecrets: [] });
/**
 * Until set, the processor's cold start fails naming the secret: its batches return to the queue
 * (processor-lambda-errors alarm) and, after maxReceiveCount, wait in the DLQ for the key.
 */
export const TO_API_KEY_PLACEHOLDER = 'unset: put the Traffic Orchestrator API key here (see docs/deploy.md)';
/** Until set, the reconciliation job fails its cold start naming the secret (the reconciliation-lambda-errors alarm). */
export const STRIPE_API_KEY_PLACEHOLDER = 'unset: put a Stripe restricted API key with read access to Events here (see docs/deploy.md)';

export interface ServiceSecretsProps {
  readonly namePrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

export class ServiceSecrets extends Construct {
  /** JSON `{"signingSecrets":["whsec_…"]}`; two entries while a secret is being rolled. */
  readonly stripeSigningSecret: secretsmanager.Secret;
  /** The Traffic Orchestrator API key (plain text). */
  readonly toApiKey: secretsmanager.Secret;
  /** The Stripe API key the reconciliation job reads events with (plain text; a restricted key, Events: Read). */
  readonly stripeApiKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ServiceSecretsProps) {
    super(scope, id);
    const namePath = props.namePrefix.replace(/-/g, '/');
    /** One credential issued outside AWS: a placeholder value, and why Secrets Manager cannot rotate it. */
    const externalCredential = (constructId: string, spec: { name: string; description: string; placeholder: string; whyManualRotation: string }) => {
      const secret = new secretsmanager.Secret(this, constructId, {
        secretName: `${namePath}/${spec.name}`,
        description: spec.description,
        secretStringValue: SecretValue.unsafePlainText(spec.placeholder),
        removalPolicy: props.removalPolicy,
      });
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: spec.whyManualRotation });
      return secret;
    };

    this.stripeSigningSecret = externalCredential('StripeSigningSecret', {
      name: 'stripe-webhook-signing-secret',
      description: 'Stripe webhook endpoint signing secret(s): {"signingSecrets":["whsec_..."]}',
      placeholder: SIGNING_SECRET_PLACEHOLDER,
      whyManualRotation: 'The webhook signing secret is issued by Stripe and can only be rolled in the Stripe dashboard or API (optionally keeping the old one valid for a while); '
        + 'a rotation Lambda cannot create one. Rolling is a documented manual procedure: put both secrets in signingSecrets, then drop the old one (docs/deploy.md).',
    });

    this.toApiKey = externalCredential('TrafficOrchestratorApiKey', {
      name: 'traffic-orchestrator-api-key',
      description: 'Traffic Orchestrator API key (plain text) used by the license processor',
      placeholder: TO_API_KEY_PLACEHOLDER,
      whyManualRotation: 'The Traffic Orchestrator API key is issued by TO, not by AWS. Secrets Manager rotation would need a custom rotation Lambda driving '
        + "TO's createApiKey/deleteApiKey; this project does not ship one yet, so the key is rotated by hand: create a new key at TO, "
        + 'put-secret-value, wait for the processor cache (5 min) to expire, revoke the old key (docs/deploy.md).',
    });

    this.stripeApiKey = externalCredential('StripeApiKey', {
      name: 'stripe-api-key',
      description: 'Stripe API key (plain text; a restricted key with Events: Read) used by the reconciliation job',
      placeholder: STRIPE_API_KEY_PLACEHOLDER,
      whyManualRotation: 'The Stripe API key is issued by Stripe, not by AWS; a rotation Lambda cannot create a restricted key. It is rotated by hand: '
        + 'create a new restricted key in the Stripe dashboard, put-secret-value, wait for the reconciliation Lambda cache (5 min) to expire, '
        + 'delete the old key in Stripe (docs/deploy.md).',
    });
  }
}
