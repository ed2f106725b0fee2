/**
 * DESIGN §3 "Order-safe": Stripe does not guarantee order. Each case names two events by the
 * order Stripe created them (`created`, Unix seconds, spelled out) and delivers the newer one
 * first. The expected state is the one Stripe's own timeline implies; final events (deleted, lost
 * dispute, full refund) win whatever their age, and nothing after them un-revokes.
 */
import type { BillingEvent } from '../../lambdas/domain/billing-event';
import { applyEvent, desiredLicense, nextGraceStepAt, planLicenseActions } from '../../lambdas/domain/lifecycle';
import type { PurchaseState } from '../../lambdas/domain/purchase';
import {
  DAY,
  FIRST_PERIOD_END,
  PRODUCT_ID,
  SECOND_PERIOD_END,
  T0,
  THIRD_PERIOD_END,
  applyAll,
  checkout,
  dispute,
  invoice,
  loadShippedPlans,
  oneTimeCheckout,
  queuedEmails,
  refund,
  subscription,
} from '../support/billing-events';

const plans = loadShippedPlans();

const subscribedStarter = (): PurchaseState => applyAll(plans, [subscription('created'), checkout()]);
const boughtOnce = (): PurchaseState => applyAll(plans, [oneTimeCheckout()]);

/** The same two events delivered in Stripe's order and reversed must leave the same license. */
function expectOrderIndependent(start: () => PurchaseState | null, older: BillingEvent, newer: BillingEvent): void {
  const inOrder = applyAll(plans, [older, newer], start());
  const reversed = applyAll(plans, [newer, older], start());
  expect(desiredLicense(reversed, plans)).toEqual(desiredLicense(inOrder, plans));
  expect(reversed.license).toEqual(inOrder.license);
}

describe('customer.subscription.updated (upgrade) delivered before checkout.session.completed', () => {
  const completed = checkout({ created: T0 });
  const upgraded = subscription('updated', { created: T0 + 60, priceId: 'price_pro_monthly', previousPriceId: 'price_starter_monthly' });
  const onlyCreated = () => applyAll(plans, [subscription('created', { created: T0 })]);

  it('creates the license on the newer tier (the older metadata tier does not overwrite it), one key e-mail', () => {
    const afterUpdate = applyAll(plans, [upgraded], onlyCreated());
    const decision = applyEvent(afterUpdate, completed, plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'professional', planId: 'plan_professional', maxDomains: 10 });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'create', planId: 'plan_professional', tier: 'professional', maxDomains: 10 }]);
    expect(queuedEmails(decision.state)).toEqual(['license_delivered']);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(onlyCreated, completed, upgraded);
  });
});

describe('invoice.paid (renewal retry succeeded) delivered before the older invoice.payment_failed', () => {
  const failed = invoice('payment_failed', { created: FIRST_PERIOD_END, attemptCount: 1 });
  const paid = invoice('paid', { created: FIRST_PERIOD_END + 2 * DAY, attemptCount: 2 });

  it('the older failure is stale: no grace, no warning e-mail, license stays active and extended', () => {
    const renewed = applyAll(plans, [paid], subscribedStarter());
    const decision = applyEvent(renewed, failed, plans);

    expect(decision.outcome).toBe('stale');
    expect(nextGraceStepAt(decision.state, plans)).toBeNull();
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'starter', expiresAt: SECOND_PERIOD_END, downgraded: false });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(subscribedStarter, failed, paid);
  });
});

describe('an older payment success delivered after a newer failure', () => {
  it('does not end the grace the newer failure started', () => {
    const firstInvoice = invoice('paid', { created: T0, billingReason: 'subscription_create', linePeriodEnd: FIRST_PERIOD_END });
    const inGrace = applyAll(plans, [invoice('payment_failed', { created: FIRST_PERIOD_END })], subscribedStarter());
    const decision = applyEvent(inGrace, firstInvoice, plans);

    expect(nextGraceStepAt(decision.state, plans)).toBe(FIRST_PERIOD_END + 3 * DAY);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a newer failure that arrived while grace was already running is not undone by an older success', () => {
    // Stripe order: renewal fails (t1), the retry succeeds (t2), a proration invoice fails (t3).
    // Delivered t1, t3, t2: the newest fact is "a payment is outstanding since t3".
    const t1 = FIRST_PERIOD_END;
    const t2 = t1 + DAY;
    const t3 = t2 + 3600;
    const renewalFailed = invoice('payment_failed', { created: t1, invoiceId: 'in_renewal' });
    const prorationFailed = invoice('payment_failed', { created: t3, invoiceId: 'in_proration', billingReason: 'subscription_update' });
    const renewalPaid = invoice('paid', { created: t2, invoiceId: 'in_renewal', attemptCount: 2 });

    const state = applyAll(plans, [renewalFailed, prorationFailed, renewalPaid], subscribedStarter());

    expect(nextGraceStepAt(state, plans)).not.toBeNull();
  });
});

describe('customer.subscription.resumed delivered before the older customer.subscription.paused', () => {
  const paused = subscription('paused', { created: T0 + 5 * DAY });
  const resumed = subscription('resumed', { created: T0 + 9 * DAY });

  it('the older pause is stale: the license stays active, no suspension, no e-mail', () => {
    const afterResume = applyAll(plans, [resumed], subscribedStarter());
    const decision = applyEvent(afterResume, paused, plans);

    expect(decision.outcome).toBe('stale');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', suspendReason: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(subscribedStarter, paused, resumed);
  });
});

describe('charge.dispute.closed (won) delivered before the older charge.dispute.created', () => {
  const opened = dispute('created', { created: T0 + 10 * DAY });
  const won = dispute('closed', { status: 'won', created: T0 + 40 * DAY });

  it('the older "created" is stale: the license stays active, no suspension, no e-mail', () => {
    const afterWin = applyAll(plans, [won], boughtOnce());
    const decision = applyEvent(afterWin, opened, plans);

    expect(decision.outcome).toBe('stale');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', suspendReason: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(boughtOnce, opened, won);
  });
});

describe('customer.subscription.deleted delivered before an older customer.subscription.updated', () => {
  const updated = subscription('updated', { created: T0 + 20 * DAY, priceId: 'price_pro_monthly', previousPriceId: 'price_starter_monthly' });
  const deleted = subscription('deleted', { created: FIRST_PERIOD_END });

  it('stays revoked: the update is recorded only, nothing planned, nothing sent', () => {
    const revoked = applyAll(plans, [deleted], subscribedStarter());
    const decision = applyEvent(revoked, updated, plans);

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends: revoked at the vendor', () => {
    // The tier of a revoked license is immaterial, so only the status is compared.
    const inOrder = applyAll(plans, [updated, deleted], subscribedStarter());
    const reversed = applyAll(plans, [deleted, updated], subscribedStarter());
    expect(inOrder.license?.status).toBe('revoked');
    expect(reversed.license?.status).toBe('revoked');
  });
});

describe('a final event older than a newer reactivation still wins', () => {
  it('customer.subscription.deleted arriving after a newer resumed: revoked', () => {
    const paused = applyAll(plans, [subscription('paused', { created: T0 + 5 * DAY })], subscribedStarter());
    const resumed = applyAll(plans, [subscription('resumed', { created: T0 + 30 * DAY })], paused);
    const decision = applyEvent(resumed, subscription('deleted', { created: T0 + 20 * DAY }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'revoke' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'revoked', revokeReason: 'canceled' })]);
  });
});

describe('a late non-final event after revocation is recorded only and cannot un-revoke', () => {
  const refunded = () => applyAll(plans, [refund({ created: T0 + 5 * DAY })], subscribedStarter());

  it.each<[string, () => BillingEvent]>([
    ['invoice.paid (renewal)', () => invoice('paid', { created: FIRST_PERIOD_END })],
    ['customer.subscription.resumed', () => subscription('resumed', { created: T0 + 9 * DAY })],
    ['customer.subscription.updated (upgrade)', () => subscription('updated', { created: T0 + 9 * DAY, priceId: 'price_pro_monthly', previousPriceId: 'price_starter_monthly' })],
    ['charge.dispute.closed (won)', () => dispute('closed', { status: 'won', created: T0 + 40 * DAY })],
    ['checkout.session.async_payment_succeeded', () => checkout({ phase: 'async_succeeded', created: T0 + 6 * DAY })],
  ])('%s', (_label, event) => {
    const decision = applyEvent(refunded(), event(), plans);

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'revoked' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a second final event is recorded only (no second revoke, no second e-mail)', () => {
    const decision = applyEvent(refunded(), subscription('deleted', { created: FIRST_PERIOD_END }), plans);

    expect(decision.state.revoked).toMatchObject({ reason: 'refunded' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a checkout that arrives after the subscription was already deleted issues no license and no key e-mail', () => {
    const deletedFirst = applyAll(plans, [subscription('deleted', { created: T0 + 60 })]);
    const decision = applyEvent(deletedFirst, checkout({ created: T0 }), plans);

    expect(decision.outcome).toBe('recorded');
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('two renewals delivered out of order', () => {
  const secondPeriod = invoice('paid', { created: FIRST_PERIOD_END, invoiceId: 'in_feb', linePeriodEnd: SECOND_PERIOD_END });
  const thirdPeriod = invoice('paid', { created: SECOND_PERIOD_END, invoiceId: 'in_mar', linePeriodEnd: THIRD_PERIOD_END });

  it('the expiry stays at the later period end; the older renewal is stale and plans nothing', () => {
    const renewedTwice = applyAll(plans, [thirdPeriod], subscribedStarter());
    const decision = applyEvent(renewedTwice, secondPeriod, plans);

    expect(decision.outcome).toBe('stale');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ expiresAt: THIRD_PERIOD_END });
    expect(decision.state.license?.expiresAt).toBe(THIRD_PERIOD_END);
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(subscribedStarter, secondPeriod, thirdPeriod);
  });
});

describe('two price changes delivered out of order', () => {
  const toProfessional = subscription('updated', { created: T0 + DAY, priceId: 'price_pro_monthly', previousPriceId: 'price_starter_monthly' });
  const toBusiness = subscription('updated', { created: T0 + 2 * DAY, priceId: 'price_business_monthly', previousPriceId: 'price_pro_monthly' });

  it('the newer tier stays; the older change is stale and sends no plan_changed', () => {
    const onBusiness = applyAll(plans, [toBusiness], subscribedStarter());
    const decision = applyEvent(onBusiness, toProfessional, plans);

    expect(decision.outcome).toBe('stale');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ tier: 'business', planId: 'plan_business', maxDomains: 25 });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(subscribedStarter, toProfessional, toBusiness);
  });
});

describe('checkout.session.async_payment_succeeded delivered before the older completed (unpaid)', () => {
  const completedUnpaid = oneTimeCheckout({ paymentStatus: 'unpaid', created: T0 });
  const succeeded = oneTimeCheckout({ phase: 'async_succeeded', paymentStatus: 'paid', created: T0 + 2 * DAY });

  it('the license stays issued; the older "pending" is stale and sends nothing', () => {
    const issued = applyAll(plans, [succeeded]);
    const decision = applyEvent(issued, completedUnpaid, plans);

    expect(decision.outcome).toBe('stale');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'active', tier: 'professional', expiresAt: null });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('ends where in-order delivery ends', () => {
    expectOrderIndependent(() => null, completedUnpaid, succeeded);
  });
});

describe('cancel_at_period_end set and withdrawn, delivered reversed', () => {
  // Stripe order: the customer schedules cancellation (t1), then changes their mind (t2).
  const scheduled = subscription('updated', { created: T0 + DAY, cancelAtPeriodEnd: true });
  const withdrawn = subscription('updated', { created: T0 + 2 * DAY, cancelAtPeriodEnd: false });

  it('the newer "not canceling" wins over the older "canceling"', () => {
    const state = applyAll(plans, [withdrawn, scheduled], subscribedStarter());

    expect(desiredLicense(state, plans)).toMatchObject({ canceling: false });
  });
});

describe('one-time purchase: the checkout metadata is not replaced by an older copy', () => {
  it('a redelivered older checkout with a different event id does not change the tier', () => {
    const bought = applyAll(plans, [oneTimeCheckout({ created: T0 + 60, metadata: { productId: PRODUCT_ID, tier: 'business' } })]);
    const decision = applyEvent(bought, oneTimeCheckout({ created: T0 }), plans);

    expect(desiredLicense(decision.state, plans)).toMatchObject({ tier: 'business' });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
  });
});
