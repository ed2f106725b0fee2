/**
 * DESIGN §3, one describe per row of the table: for each Stripe event, the license the facts call
 * for, the vendor calls planned against the license as last applied, the e-mails queued, the
 * decision outcome, and the named failure where the rule says the event must fail.
 *
 * Prior state is built by applying earlier events and "settling" them (vendor calls done, e-mails
 * sent), so each test's outbox and plan show only what the event under test caused.
 * Grace-ladder steps: grace-ladder.test.ts. Out-of-order deliveries: lifecycle-ordering.test.ts.
 */
import { applyEvent, desiredLicense, nextGraceStepAt, planLicenseActions } from '../../lambdas/domain/lifecycle';
import type { PurchaseState } from '../../lambdas/domain/purchase';
import {
  DAY,
  FIRST_PERIOD_END,
  PAYMENT_INTENT_ID,
  PRODUCT_ID,
  SECOND_PERIOD_END,
  SUBSCRIPTION_ID,
  T0,
  applyAll,
  checkout,
  dispute,
  failureOf,
  invoice,
  invoicePayment,
  loadShippedPlans,
  oneTimeCheckout,
  queuedEmails,
  refund,
  subscription,
} from '../support/billing-events';

const plans = loadShippedPlans();

/** The usual start: Stripe sends subscription.created, then the checkout; the license exists and runs to the first period end. */
const subscribedStarter = (): PurchaseState => applyAll(plans, [subscription('created'), checkout()]);
const subscribedProfessional = (): PurchaseState => applyAll(plans, [
  subscription('created', { priceId: 'price_pro_monthly' }),
  checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } }),
]);
const boughtOnce = (): PurchaseState => applyAll(plans, [oneTimeCheckout()]);

const STARTER_LICENSE = { status: 'active', tier: 'starter', planId: 'plan_starter', maxDomains: 3, expiresAt: FIRST_PERIOD_END } as const;

describe('the starting point these tests build on', () => {
  it('a subscribed starter customer has an active starter license at the vendor, running to the first period end', () => {
    const state = subscribedStarter();
    expect(state.license).toMatchObject({ planId: 'plan_starter', tier: 'starter', maxDomains: 3, status: 'active', expiresAt: FIRST_PERIOD_END });
    expect(planLicenseActions(state, plans)).toEqual([]);
    expect(queuedEmails(state)).toEqual([]);
  });
});

describe('checkout.session.completed, payment_status paid or no_payment_required: create the license once, e-mail the key', () => {
  it('subscription: creates the tier from the metadata, expiring at the period end the subscription announced', () => {
    const decision = applyEvent(applyAll(plans, [subscription('created')]), checkout(), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject(STARTER_LICENSE);
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_starter', tier: 'starter', maxDomains: 3 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('subscription checkout arriving first: the license is created now; expiry unknown until the period is', () => {
    const decision = applyEvent(null, checkout(), plans);

    expect(decision.state.purchaseId).toBe(SUBSCRIPTION_ID);
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, expiresAt: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_starter', tier: 'starter', maxDomains: 3 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('one-time purchase (mode=payment): keyed by the payment intent, perpetual (expiresAt null)', () => {
    const decision = applyEvent(null, oneTimeCheckout(), plans);

    expect(decision.outcome).toBe('applied');
    expect(decision.state.purchaseId).toBe(PAYMENT_INTENT_ID);
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'professional', planId: 'plan_professional', maxDomains: 10, expiresAt: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_professional', tier: 'professional', maxDomains: 10 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('no_payment_required (e.g. a 100% coupon) issues the license like paid', () => {
    const decision = applyEvent(null, oneTimeCheckout({ paymentStatus: 'no_payment_required' }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'professional', expiresAt: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_professional', tier: 'professional', maxDomains: 10 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('to_max_domains overrides the tier default domain limit', () => {
    const decision = applyEvent(null, oneTimeCheckout({ metadata: { productId: PRODUCT_ID, tier: 'professional', maxDomains: '15' } }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ tier: 'professional', maxDomains: 15 });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_professional', tier: 'professional', maxDomains: 15 }]);
  });

  it('subscription checkout without license metadata takes the tier from the subscription price', () => {
    const afterCreated = applyAll(plans, [subscription('created', { priceId: 'price_business_annual' })]);
    const decision = applyEvent(afterCreated, checkout({ metadata: {} }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'business', planId: 'plan_business', maxDomains: 25 });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_business', tier: 'business', maxDomains: 25 }]);
  });

  it('exactly once: a second "paid" event for the purchase (new event id) plans no second create and sends no second key', () => {
    const licensed = subscribedStarter();
    const decision = applyEvent(licensed, checkout({ phase: 'async_succeeded', created: T0 + 60 }), plans);

    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('exactly once: while the first create is still pending at the vendor, a second paid event queues no second key e-mail', () => {
    const pending = applyEvent(null, checkout(), plans).state; // vendor not called yet
    const decision = applyEvent(pending, checkout({ created: T0 + 1 }), plans);

    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_starter', tier: 'starter', maxDomains: 3 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  describe('bad business input fails with a named reason (never dropped silently)', () => {
    it.each([
      ['to_product_id missing', { tier: 'professional' }],
      ['to_license_tier missing', { productId: PRODUCT_ID }],
      ['no metadata at all', {}],
    ])('one-time purchase, %s → missing_license_metadata (final)', (_label, metadata) => {
      expect(failureOf(() => applyEvent(null, oneTimeCheckout({ metadata }), plans))).toEqual({ reason: 'missing_license_metadata', retryable: false });
    });

    it('subscription with partial metadata (tier without product) → missing_license_metadata', () => {
      expect(failureOf(() => applyEvent(null, checkout({ metadata: { tier: 'starter' } }), plans)).reason).toBe('missing_license_metadata');
    });

    it('to_product_id of another product → product_mismatch (final)', () => {
      const event = oneTimeCheckout({ metadata: { productId: 'to_prod_other', tier: 'professional' } });
      expect(failureOf(() => applyEvent(null, event, plans))).toEqual({ reason: 'product_mismatch', retryable: false });
    });

    it('to_license_tier that is not configured → unknown_tier (final)', () => {
      const event = oneTimeCheckout({ metadata: { productId: PRODUCT_ID, tier: 'enterprise' } });
      expect(failureOf(() => applyEvent(null, event, plans))).toEqual({ reason: 'unknown_tier', retryable: false });
    });

    it.each(['0', '-1', '2.5', 'ten', '', '1e3'])('to_max_domains "%s" → invalid_max_domains (final)', (maxDomains) => {
      const event = oneTimeCheckout({ metadata: { productId: PRODUCT_ID, tier: 'professional', maxDomains } });
      expect(failureOf(() => applyEvent(null, event, plans))).toEqual({ reason: 'invalid_max_domains', retryable: false });
    });

    it('no customer e-mail (the key could not be delivered) → missing_customer_email (final)', () => {
      const event = oneTimeCheckout({ contact: { customerId: 'cus_test_1', email: null, name: null } });
      expect(failureOf(() => applyEvent(null, event, plans))).toEqual({ reason: 'missing_customer_email', retryable: false });
    });

    it('subscription checkout without metadata whose price is not known yet → tier_not_known_yet (retryable)', () => {
      expect(failureOf(() => applyEvent(null, checkout({ metadata: {} }), plans))).toEqual({ reason: 'tier_not_known_yet', retryable: true });
    });
  });
});

describe('checkout.session.completed, payment_status unpaid (async method): pending, nothing issued', () => {
  const unpaid = () => checkout({ paymentStatus: 'unpaid' });

  it('records the purchase without a license or an e-mail', () => {
    const decision = applyEvent(null, unpaid(), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toBeNull();
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('checkout.session.async_payment_succeeded / _failed: create as above / mark failed, no license', () => {
  it('succeeded after an unpaid checkout: creates the license and e-mails the key', () => {
    const pending = applyAll(plans, [subscription('created'), checkout({ paymentStatus: 'unpaid' })]);
    const decision = applyEvent(pending, checkout({ phase: 'async_succeeded', created: T0 + 2 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject(STARTER_LICENSE);
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_starter', tier: 'starter', maxDomains: 3 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('failed after an unpaid checkout: no license, no vendor call, no e-mail', () => {
    const pending = applyAll(plans, [oneTimeCheckout({ paymentStatus: 'unpaid' })]);
    const decision = applyEvent(pending, oneTimeCheckout({ phase: 'async_failed', paymentStatus: 'unpaid', created: T0 + 2 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toBeNull();
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('customer.subscription.created: no license yet; remember tier/period if unknown', () => {
  it('creates no license and sends nothing', () => {
    const decision = applyEvent(null, subscription('created'), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toBeNull();
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('remembers tier and period for a checkout without metadata', () => {
    const remembered = applyAll(plans, [subscription('created', { priceId: 'price_pro_annual', currentPeriodEnd: T0 + 365 * DAY })]);
    const decision = applyEvent(remembered, checkout({ metadata: {} }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ tier: 'professional', planId: 'plan_professional', maxDomains: 10, expiresAt: T0 + 365 * DAY });
  });

  it('does not replace a tier the checkout metadata already set', () => {
    const licensed = applyAll(plans, [checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } })]);
    const decision = applyEvent(licensed, subscription('created', { priceId: 'price_starter_monthly' }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ tier: 'professional', planId: 'plan_professional', expiresAt: FIRST_PERIOD_END });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'extend', expiresAt: FIRST_PERIOD_END }]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a price with no tier while no tier is known → unknown_price (final)', () => {
    expect(failureOf(() => applyEvent(null, subscription('created', { priceId: 'price_not_configured' }), plans))).toEqual({ reason: 'unknown_price', retryable: false });
  });
});

describe('customer.subscription.updated: price change → tier; cancel_at_period_end → canceling; otherwise refresh the period end', () => {
  it('monthly → annual of the same tier: no plan change, no e-mail; the license runs to the new period end', () => {
    const annualEnd = T0 + 365 * DAY;
    const decision = applyEvent(subscribedStarter(), subscription('updated', {
      created: T0 + DAY, priceId: 'price_starter_annual', previousPriceId: 'price_starter_monthly', currentPeriodEnd: annualEnd,
    }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, expiresAt: annualEnd });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'extend', expiresAt: annualEnd }]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('starter → professional (upgrade): change the plan, raise the domain limit, e-mail plan_changed', () => {
    const decision = applyEvent(subscribedStarter(), subscription('updated', {
      created: T0 + DAY, priceId: 'price_pro_monthly', previousPriceId: 'price_starter_monthly',
    }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'professional', planId: 'plan_professional', maxDomains: 10, expiresAt: FIRST_PERIOD_END });
    expect(planLicenseActions(decision.state, plans)).toEqual([
      { type: 'change_plan', planId: 'plan_professional', tier: 'professional' },
      { type: 'set_domain_limit', maxDomains: 10 },
    ]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'plan_changed', previousTier: 'starter' })]);
  });

  it('professional → starter (downgrade): change the plan, lower the domain limit, e-mail plan_changed', () => {
    const decision = applyEvent(subscribedProfessional(), subscription('updated', {
      created: T0 + DAY, priceId: 'price_starter_monthly', previousPriceId: 'price_pro_monthly',
    }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject(STARTER_LICENSE);
    expect(planLicenseActions(decision.state, plans)).toEqual([
      { type: 'change_plan', planId: 'plan_starter', tier: 'starter' },
      { type: 'set_domain_limit', maxDomains: 3 },
    ]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'plan_changed', previousTier: 'professional' })]);
  });

  it('a price change to a price with no tier → unknown_price (final)', () => {
    const event = subscription('updated', { created: T0 + DAY, priceId: 'price_not_configured', previousPriceId: 'price_starter_monthly' });
    expect(failureOf(() => applyEvent(subscribedStarter(), event, plans))).toEqual({ reason: 'unknown_price', retryable: false });
  });

  it('cancel_at_period_end: marked canceling, access kept, no vendor call, no e-mail', () => {
    const decision = applyEvent(subscribedStarter(), subscription('updated', { created: T0 + DAY, cancelAtPeriodEnd: true }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, canceling: true });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('cancel_at_period_end withdrawn: no longer canceling', () => {
    const canceling = applyAll(plans, [subscription('updated', { created: T0 + DAY, cancelAtPeriodEnd: true })], subscribedStarter());
    const decision = applyEvent(canceling, subscription('updated', { created: T0 + 2 * DAY, cancelAtPeriodEnd: false }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, canceling: false });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
  });

  it('other changes: refresh the period end (extend the license to it)', () => {
    const decision = applyEvent(subscribedStarter(), subscription('updated', { created: FIRST_PERIOD_END, currentPeriodEnd: SECOND_PERIOD_END }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, expiresAt: SECOND_PERIOD_END });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'extend', expiresAt: SECOND_PERIOD_END }]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('invoice.paid / invoice.payment_succeeded: extend to the paid line period end; the first invoice creates nothing', () => {
  it('subscription_cycle: extends to the line period.end exactly (not "+1 month")', () => {
    const lineEnd = Date.UTC(2026, 1, 17, 9, 30) / 1000; // a re-anchored billing cycle: 16.4 days, not a month
    const decision = applyEvent(subscribedStarter(), invoice('paid', { linePeriodEnd: lineEnd }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, expiresAt: lineEnd });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'extend', expiresAt: lineEnd }]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('subscription_update (proration invoice) also extends to its line period end', () => {
    const decision = applyEvent(subscribedStarter(), invoice('payment_succeeded', { billingReason: 'subscription_update', created: T0 + DAY }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ expiresAt: SECOND_PERIOD_END });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'extend', expiresAt: SECOND_PERIOD_END }]);
  });

  it('invoice.payment_succeeded after invoice.paid for the same invoice changes nothing', () => {
    const renewed = applyAll(plans, [invoice('paid')], subscribedStarter());
    const decision = applyEvent(renewed, invoice('payment_succeeded'), plans);

    expect(desiredLicense(decision.state, plans)).toEqual(desiredLicense(renewed, plans));
    expect(decision.state.facts).toEqual(renewed.facts);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('invoice.payment_succeeded after invoice.paid for the same invoice is not reported as a change (outcome)', () => {
    const renewed = applyAll(plans, [invoice('paid')], subscribedStarter());
    // Decision outcome 'applied' is documented as "at least one fact changed"; none did.
    expect(applyEvent(renewed, invoice('payment_succeeded'), plans).outcome).not.toBe('applied');
  });

  it('subscription_create after the checkout: never a second create', () => {
    const first = invoice('paid', { billingReason: 'subscription_create', created: T0, linePeriodEnd: FIRST_PERIOD_END });
    const decision = applyEvent(subscribedStarter(), first, plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject(STARTER_LICENSE);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('subscription_create before the checkout: no license from the invoice, and the checkout then creates exactly one', () => {
    const first = invoice('paid', { billingReason: 'subscription_create', created: T0, linePeriodEnd: FIRST_PERIOD_END });
    const afterInvoice = applyEvent(applyAll(plans, [subscription('created')]), first, plans);

    expect(desiredLicense(afterInvoice.state, plans)).toBeNull();
    expect(planLicenseActions(afterInvoice.state, plans)).toEqual([]);
    expect(queuedEmails(afterInvoice.state)).toEqual([]);

    const afterCheckout = applyEvent(afterInvoice.state, checkout(), plans);
    expect(planLicenseActions(afterCheckout.state, plans)).toEqual([{ type: 'create', planId: 'plan_starter', tier: 'starter', maxDomains: 3 }]);
    expect(queuedEmails(afterCheckout.state)).toEqual(['license_delivered']);
  });

  it('a renewal invoice before the checkout → license_not_created_yet (retryable)', () => {
    const onlySubscription = applyAll(plans, [subscription('created')]);
    expect(failureOf(() => applyEvent(onlySubscription, invoice('paid'), plans))).toEqual({ reason: 'license_not_created_yet', retryable: true });
  });

  it('an invoice for a purchase the ledger does not know → unknown_purchase (retryable)', () => {
    expect(failureOf(() => applyEvent(null, invoice('paid'), plans))).toEqual({ reason: 'unknown_purchase', retryable: true });
    expect(failureOf(() => applyEvent(null, invoice('payment_failed'), plans))).toEqual({ reason: 'unknown_purchase', retryable: true });
  });

  it('another billing_reason (manual): recorded only', () => {
    const licensed = subscribedStarter();
    const decision = applyEvent(licensed, invoice('paid', { billingReason: 'manual', created: T0 + DAY }), plans);

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toEqual(desiredLicense(licensed, plans));
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('invoice.payment_failed: enter grace (license stays active), e-mail a warning', () => {
  it('starts grace at the failure, keeps the license as it is, queues payment_failed', () => {
    const failure = invoice('payment_failed');
    const decision = applyEvent(subscribedStarter(), failure, plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, downgraded: false, suspendReason: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual(['payment_failed']);
    expect(nextGraceStepAt(decision.state, plans)).toBe(failure.created + 3 * DAY);
  });

  it('a retry that fails again does not restart grace or e-mail again (attempt_count is not the clock)', () => {
    const inGrace = applyAll(plans, [invoice('payment_failed')], subscribedStarter());
    const decision = applyEvent(inGrace, invoice('payment_failed', { created: FIRST_PERIOD_END + 2 * DAY, attemptCount: 2 }), plans);

    expect(decision.outcome).toBe('recorded');
    expect(nextGraceStepAt(decision.state, plans)).toBe(FIRST_PERIOD_END + 3 * DAY);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a failure before anything was paid (pending checkout): nothing issued, nothing to do', () => {
    const pending = applyAll(plans, [subscription('created'), checkout({ paymentStatus: 'unpaid' })]);
    const decision = applyEvent(pending, invoice('payment_failed', { billingReason: 'subscription_create', created: T0 + DAY }), plans);

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toBeNull();
    expect(nextGraceStepAt(decision.state, plans)).toBeNull();
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('customer.subscription.paused: suspend, data kept', () => {
  it('suspends the license and tells the customer why', () => {
    const decision = applyEvent(subscribedStarter(), subscription('paused', { created: T0 + 5 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, status: 'suspended', suspendReason: 'paused' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'suspend' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'suspended', suspendReason: 'paused' })]);
  });
});

describe('customer.subscription.resumed: reactivate', () => {
  it('reactivates a paused license and e-mails reactivated', () => {
    const paused = applyAll(plans, [subscription('paused', { created: T0 + 5 * DAY })], subscribedStarter());
    const decision = applyEvent(paused, subscription('resumed', { created: T0 + 9 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...STARTER_LICENSE, suspendReason: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'reactivate' }]);
    expect(queuedEmails(decision.state)).toEqual(['reactivated']);
  });
});

describe('customer.subscription.deleted: revoke (final)', () => {
  it('revokes the license and e-mails revoked (canceled)', () => {
    const decision = applyEvent(subscribedStarter(), subscription('deleted', { created: FIRST_PERIOD_END }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'revoke' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'revoked', revokeReason: 'canceled' })]);
  });

  it('after the revocation is applied at the vendor, nothing more is planned', () => {
    const revoked = applyAll(plans, [subscription('deleted', { created: FIRST_PERIOD_END })], subscribedStarter());

    expect(revoked.license?.status).toBe('revoked');
    expect(planLicenseActions(revoked, plans)).toEqual([]);
  });
});

describe('charge.dispute.created: suspend, unless it is an inquiry (warning_*): record only', () => {
  it('a dispute suspends the license and e-mails suspended (dispute)', () => {
    const decision = applyEvent(boughtOnce(), dispute('created'), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'suspended', suspendReason: 'dispute', tier: 'professional', expiresAt: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'suspend' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'suspended', suspendReason: 'dispute' })]);
  });

  it('an inquiry (warning_needs_response) leaves the license alone and sends nothing', () => {
    const licensed = boughtOnce();
    const decision = applyEvent(licensed, dispute('created', { status: 'warning_needs_response' }), plans);

    expect(desiredLicense(decision.state, plans)).toEqual(desiredLicense(licensed, plans));
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('an inquiry is recorded only (outcome)', () => {
    // DESIGN: "record only"; Decision documents 'recorded' as "e.g. an inquiry, a partial refund".
    expect(applyEvent(boughtOnce(), dispute('created', { status: 'warning_needs_response' }), plans).outcome).toBe('recorded');
  });

  it('a dispute about a purchase the ledger does not know → unknown_purchase (retryable)', () => {
    expect(failureOf(() => applyEvent(null, dispute('created'), plans))).toEqual({ reason: 'unknown_purchase', retryable: true });
  });
});

describe('charge.dispute.closed: won / warning_closed → reactivate if the dispute suspended it; lost → revoke', () => {
  const disputed = () => applyAll(plans, [dispute('created')], boughtOnce());

  it('won: reactivates and e-mails reactivated', () => {
    const decision = applyEvent(disputed(), dispute('closed', { status: 'won', created: T0 + 40 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', suspendReason: null, tier: 'professional' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'reactivate' }]);
    expect(queuedEmails(decision.state)).toEqual(['reactivated']);
  });

  it.each(['prevented', 'charge_refunded'])('closed with status %s (neither won nor lost): reactivates, like won', (status) => {
    const decision = applyEvent(disputed(), dispute('closed', { status, created: T0 + 40 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', suspendReason: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'reactivate' }]);
    expect(queuedEmails(decision.state)).toEqual(['reactivated']);
  });

  it('a dispute record written before disputes carried `closed` (status won) still does not suspend', () => {
    const won = applyEvent(disputed(), dispute('closed', { status: 'won', created: T0 + 40 * DAY }), plans).state;
    const legacy = { ...won, facts: { ...won.facts, disputes: Object.fromEntries(Object.entries(won.facts.disputes).map(([id, { status, at }]) => [id, { status, at }])) } };
    expect(desiredLicense(legacy, plans)).toMatchObject({ status: 'active', suspendReason: null });
  });

  it('warning_closed after an inquiry: nothing was suspended, nothing to do', () => {
    const inquired = applyAll(plans, [dispute('created', { status: 'warning_needs_response' })], boughtOnce());
    const decision = applyEvent(inquired, dispute('closed', { status: 'warning_closed', created: T0 + 20 * DAY }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('won, but the subscription is paused: stays suspended (the dispute was not the only reason)', () => {
    const pausedAndDisputed = applyAll(plans, [subscription('paused', { created: T0 + 5 * DAY }), dispute('created')], subscribedStarter());
    const decision = applyEvent(pausedAndDisputed, dispute('closed', { status: 'won', created: T0 + 40 * DAY }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'suspended', suspendReason: 'paused' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  describe('a subscription whose charges are disputed twice', () => {
    const januaryDisputed = () => applyAll(plans, [dispute('created', { disputeId: 'dp_jan', chargeId: 'ch_jan', created: T0 + 10 * DAY })], subscribedStarter());

    it('closing the other dispute (won) does not lift the suspension of the one still open', () => {
      const both = applyAll(plans, [dispute('created', { disputeId: 'dp_feb', chargeId: 'ch_feb', created: T0 + 35 * DAY })], januaryDisputed());
      const decision = applyEvent(both, dispute('closed', { disputeId: 'dp_feb', chargeId: 'ch_feb', status: 'won', created: T0 + 50 * DAY }), plans);

      expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'suspended', suspendReason: 'dispute' });
      expect(planLicenseActions(decision.state, plans)).toEqual([]);
      expect(queuedEmails(decision.state)).toEqual([]);
    });

    it('an inquiry on another charge does not lift the suspension of the open dispute', () => {
      const decision = applyEvent(januaryDisputed(), dispute('created', { disputeId: 'dp_feb', chargeId: 'ch_feb', status: 'warning_needs_response', created: T0 + 35 * DAY }), plans);

      expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'suspended', suspendReason: 'dispute' });
      expect(planLicenseActions(decision.state, plans)).toEqual([]);
      expect(queuedEmails(decision.state)).toEqual([]);
    });
  });

  it('lost: revokes (final) and e-mails revoked (dispute_lost)', () => {
    const decision = applyEvent(disputed(), dispute('closed', { status: 'lost', created: T0 + 40 * DAY }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'revoke' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'revoked', revokeReason: 'dispute_lost' })]);
  });
});

describe('charge.refunded: full → revoke; partial → record only', () => {
  it('full refund: revokes (final) and e-mails revoked (refunded)', () => {
    const decision = applyEvent(boughtOnce(), refund(), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'revoke' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'revoked', revokeReason: 'refunded' })]);
  });

  it('partial refund: the license is left as it is, nothing sent', () => {
    const licensed = boughtOnce();
    const decision = applyEvent(licensed, refund({ fullyRefunded: false, amountRefunded: 500 }), plans);

    expect(desiredLicense(decision.state, plans)).toEqual(desiredLicense(licensed, plans));
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('partial refund is recorded only (outcome)', () => {
    // DESIGN: "partial → record only"; Decision documents 'recorded' as "e.g. an inquiry, a partial refund".
    expect(applyEvent(boughtOnce(), refund({ fullyRefunded: false, amountRefunded: 500 }), plans).outcome).toBe('recorded');
  });

  it('a refund for a purchase the ledger does not know → unknown_purchase (retryable)', () => {
    expect(failureOf(() => applyEvent(null, refund(), plans))).toEqual({ reason: 'unknown_purchase', retryable: true });
  });
});

describe('invoice_payment.paid (basil+): link the payment of an invoice, so its disputes and refunds find the purchase', () => {
  const renewed = () => applyAll(plans, [invoice('paid', { invoiceId: 'in_renewal' })], subscribedStarter());

  it('a paid invoice records its own id as a reference of the purchase (invoice_payment.paid names only the invoice)', () => {
    expect(renewed().paymentRefs).toContain('in_renewal');
  });

  it('links the payment intent and the charge; no fact, license call or e-mail changes', () => {
    const before = renewed();
    const decision = applyEvent(before, invoicePayment({ invoiceId: 'in_renewal', paymentIntentId: 'pi_renewal', chargeId: 'ch_renewal' }), plans);

    expect(decision.outcome).toBe('recorded');
    expect(decision.notes).toEqual(['payment pi_renewal / ch_renewal of invoice in_renewal linked (for later disputes and refunds)']);
    expect(decision.state.paymentRefs).toEqual([...before.paymentRefs, 'pi_renewal', 'ch_renewal']);
    expect(decision.state.facts).toEqual(before.facts);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('an invoice payment of a purchase the ledger does not know → unknown_purchase (retryable)', () => {
    expect(failureOf(() => applyEvent(null, invoicePayment(), plans))).toEqual({ reason: 'unknown_purchase', retryable: true });
  });
});

describe('a redelivered event (same event id)', () => {
  it.each([
    ['checkout.session.completed', () => checkout({ eventId: 'evt_again' })],
    ['invoice.payment_failed', () => invoice('payment_failed', { eventId: 'evt_again' })],
    ['customer.subscription.paused', () => subscription('paused', { eventId: 'evt_again', created: T0 + 5 * DAY })],
    ['charge.dispute.created', () => dispute('created', { eventId: 'evt_again' })],
  ])('%s: outcome duplicate, nothing changes, nothing queued', (_type, event) => {
    const once = applyAll(plans, [event()], subscribedStarter());
    const decision = applyEvent(once, event(), plans);

    expect(decision.outcome).toBe('duplicate');
    expect(decision.state).toEqual(once);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

