/**
 * The checkout side of the contract, for the SaaS application to import: builds the Checkout
 * Session metadata (and parameters) from the same plans config the processor validates against,
 * so the two never drift. No AWS imports; the types come from the `stripe` package.
 *
 *   import { checkoutSessionParams } from '<this repo>/client/checkout';
 *   const session = await stripe.checkout.sessions.create(
 *     checkoutSessionParams(plans, { priceId: 'price_pro_monthly', customerEmail, successUrl, cancelUrl }));
 */
import type Stripe from 'stripe';
import type { PlansConfig } from '../lambdas/domain/plans';

/** The metadata keys the processor reads from a Checkout Session (DESIGN §5). */
export interface LicenseMetadata {
  to_product_id: string;
  to_license_tier: string;
  to_max_domains: string;
  [key: string]: string;
}

export function licenseMetadata(plans: PlansConfig, tier: string): LicenseMetadata {
  const tierConfig = plans.tiers[tier];
  if (!tierConfig) throw new Error(`Unknown tier "${tier}"; configured tiers: ${Object.keys(plans.tiers).join(', ')}`);
  return { to_product_id: plans.productId, to_license_tier: tier, to_max_domains: String(tierConfig.maxDomains) };
}

export interface CheckoutRequest {
  /** A Stripe price id. For subscriptions it must be in the plans config (its tier comes from there). */
  priceId: string;
  /** `subscription` (default) or `payment` for a one-time purchase (perpetual license). */
  mode?: 'subscription' | 'payment';
  /** Required for one-time purchases (their prices are not in the recurring price map). */
  tier?: string;
  customerEmail?: string;
  /** An existing Stripe customer, instead of `customerEmail`. */
  customerId?: string;
  successUrl: string;
  cancelUrl: string;
  clientReferenceId?: string;
}

export function checkoutSessionParams(plans: PlansConfig, request: CheckoutRequest): Stripe.Checkout.SessionCreateParams {
  const mode = request.mode ?? 'subscription';
  const tier = mode === 'subscription' ? plans.prices[request.priceId]?.tier : request.tier;
  if (!tier) {
    throw new Error(mode === 'subscription'
      ? `Price "${request.priceId}" has no tier in the plans config; add it under "prices"`
      : 'A one-time purchase needs `tier`');
  }
  if (request.tier && request.tier !== tier) throw new Error(`Price "${request.priceId}" is tier "${tier}", not "${request.tier}"`);
  const metadata = licenseMetadata(plans, tier);
  return {
    mode,
    line_items: [{ price: request.priceId, quantity: 1 }],
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    metadata,
    ...(mode === 'subscription' ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
    ...(request.customerId ? { customer: request.customerId } : request.customerEmail ? { customer_email: request.customerEmail } : {}),
    ...(request.clientReferenceId ? { client_reference_id: request.clientReferenceId } : {}),
  };
}
