/**
 * The checkout helper and the processor read the same plans config: metadata the helper builds is
 * exactly what the lifecycle accepts, for every configured price, and bad requests fail clearly.
 */
import { checkoutSessionParams, licenseMetadata } from '../../client/checkout';
import { applyEvent, desiredLicense } from '../../lambdas/domain/lifecycle';
import { parsePlansConfig } from '../../lambdas/domain/plans';
import plansJson from '../../config/plans.json';
import { parsePurchaseEvent } from '../support/billing-events';
import { checkoutCompleted } from '../support/stripe-events';

const plans = parsePlansConfig(plansJson);

describe('checkout helper ↔ processor contract', () => {
  test.each(Object.keys(plans.prices))('a session for %s yields the configured tier, plan and domain limit', (priceId) => {
    const params = checkoutSessionParams(plans, { priceId, customerEmail: 'a@example.com', successUrl: 'https://x/ok', cancelUrl: 'https://x/no' });
    expect(params.mode).toBe('subscription');
    expect(params.subscription_data?.metadata).toEqual(params.metadata);
    // What Stripe sends back on checkout.session.completed, with the helper's metadata on it.
    const event = parsePurchaseEvent(JSON.stringify(checkoutCompleted('2026-07-29.dahlia', {
      mode: 'subscription', customerId: 'cus_1', email: 'a@example.com', metadata: params.metadata as Record<string, string>, created: 1_800_000_000,
    })));
    const { state } = applyEvent(null, event, plans);
    const tier = plans.prices[priceId].tier;
    expect(desiredLicense(state, plans)).toMatchObject({ tier, planId: plans.tiers[tier].planId, maxDomains: plans.tiers[tier].maxDomains });
  });

  test('a one-time purchase carries the tier on the payment intent too', () => {
    const params = checkoutSessionParams(plans, { priceId: 'price_lifetime', mode: 'payment', tier: 'business', successUrl: 'https://x/ok', cancelUrl: 'https://x/no' });
    expect(params).toMatchObject({ mode: 'payment', metadata: licenseMetadata(plans, 'business'), payment_intent_data: { metadata: licenseMetadata(plans, 'business') } });
  });

  test('unknown prices and tiers fail with a message that names them', () => {
    expect(() => checkoutSessionParams(plans, { priceId: 'price_unknown', successUrl: 'https://x', cancelUrl: 'https://x' })).toThrow(/price_unknown/);
    expect(() => licenseMetadata(plans, 'platinum')).toThrow(/platinum/);
    expect(() => checkoutSessionParams(plans, { priceId: 'price_pro_monthly', tier: 'starter', successUrl: 'https://x', cancelUrl: 'https://x' })).toThrow(/professional/);
  });
});
