/** Stripe webhook signing secrets; more than one while a secret is being rolled. */
export interface SigningSecretSource {
  getSigningSecrets(): Promise<string[]>;
}
