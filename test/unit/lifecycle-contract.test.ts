/**
 * Contract across Stripe API versions: the same customer life, built from each version's own
 * fixtures (acacia: pre-basil shapes; dahlia: parent.subscription_details, pricing.price_details,
 * item-level periods), parsed and run through the lifecycle, ends in the same vendor calls and the
 * same e-mails at every step.
 */
import type { LicenseAction } from '../../lambdas/domain/lifecycle';
import { applyEvent, desiredLicense } from '../../lambdas/domain/lifecycle';
import type { PurchaseState } from '../../lambdas/domain/purchase';
import { loadShippedPlans, parsePurchaseEvent, settle } from '../support/billing-events';
import {
  chargeRefunded, checkoutCompleted, disputeEvent, invoiceEvent, subscriptionEvent,
  STRIPE_API_VERSIONS, type StripeApiVersion, type StripeEventJson,
} from '../support/stripe-events';

const plans = loadShippedPlans();
const DAY = 86_400;
const T = 1_790_000_000;
const ids = { sub: 'sub_contract', cus: 'cus_contract', pi: 'pi_contract', ch: 'ch_contract', dp: 'dp_contract' };

function life(version: StripeApiVersion): StripeEventJson[] {
  const invoice = (type: 'invoice.paid' | 'invoice.payment_failed', billingReason: string, n: number, created: number) => invoiceEvent(version, {
    type, subscriptionId: ids.sub, customerId: ids.cus, billingReason, priceId: 'price_pro_monthly',
    periodStart: T + (n - 1) * 30 * DAY, periodEnd: T + n * 30 * DAY, created, paymentIntentId: n === 1 ? ids.pi : `pi_contract_${n}`, eventId: `evt_inv_${n}_${type}`,
  });
  return [
    checkoutCompleted(version, { mode: 'subscription', subscriptionId: ids.sub, customerId: ids.cus, email: 'c@example.com', metadata: { to_product_id: 'to_prod_example', to_license_tier: 'professional', to_max_domains: '10' }, created: T, eventId: 'evt_checkout' }),
    subscriptionEvent(version, { type: 'customer.subscription.created', subscriptionId: ids.sub, customerId: ids.cus, priceId: 'price_pro_monthly', periodEnd: T + 30 * DAY, created: T, eventId: 'evt_sub_created' }),
    invoice('invoice.paid', 'subscription_create', 1, T + 1),
    invoice('invoice.paid', 'subscription_cycle', 2, T + 30 * DAY + 60),
    invoice('invoice.payment_failed', 'subscription_cycle', 3, T + 60 * DAY + 60),
    invoice('invoice.paid', 'subscription_cycle', 3, T + 61 * DAY),
    subscriptionEvent(version, { type: 'customer.subscription.updated', subscriptionId: ids.sub, customerId: ids.cus, priceId: 'price_business_annual', previousPriceId: 'price_pro_monthly', periodEnd: T + 90 * DAY, created: T + 62 * DAY, eventId: 'evt_upgrade' }),
    disputeEvent(version, { type: 'charge.dispute.created', disputeId: ids.dp, chargeId: ids.ch, paymentIntentId: ids.pi, status: 'needs_response', created: T + 63 * DAY, eventId: 'evt_dispute' }),
    disputeEvent(version, { type: 'charge.dispute.closed', disputeId: ids.dp, chargeId: ids.ch, paymentIntentId: ids.pi, status: 'won', created: T + 70 * DAY, eventId: 'evt_won' }),
    chargeRefunded(version, { chargeId: ids.ch, paymentIntentId: ids.pi, amount: 2000, amountRefunded: 500, created: T + 71 * DAY, eventId: 'evt_partial' }),
    subscriptionEvent(version, { type: 'customer.subscription.deleted', subscriptionId: ids.sub, customerId: ids.cus, priceId: 'price_business_annual', periodEnd: T + 90 * DAY, created: T + 80 * DAY, eventId: 'evt_deleted' }),
  ];
}

interface Step { eventId: string; outcome: string; actions: LicenseAction['type'][]; emails: string[]; status: string | undefined; planId: string | undefined }

function replay(version: StripeApiVersion): Step[] {
  let state: PurchaseState | null = null;
  return life(version).map((raw) => {
    const decision = applyEvent(state, parsePurchaseEvent(JSON.stringify(raw)), plans);
    const settled = settle(decision.state, plans);
    state = settled.state;
    const desired = desiredLicense(state, plans);
    return { eventId: raw.id, outcome: decision.outcome, actions: settled.performed.map((a) => a.type), emails: settled.sent, status: desired?.status, planId: desired?.planId };
  });
}

test('acacia and dahlia payloads lead to the same vendor calls and e-mails, step by step', () => {
  const [acacia, dahlia] = STRIPE_API_VERSIONS.map(replay);
  expect(dahlia).toEqual(acacia);
  // And the life itself is what the product promises.
  expect(acacia.map((s) => [s.eventId, s.actions.join('+'), s.emails.join('+'), s.status])).toEqual([
    ['evt_checkout', 'create', 'license_delivered', 'active'],
    ['evt_sub_created', 'extend', '', 'active'],
    ['evt_inv_1_invoice.paid', '', '', 'active'],
    ['evt_inv_2_invoice.paid', 'extend', '', 'active'],
    ['evt_inv_3_invoice.payment_failed', '', 'payment_failed', 'active'],
    ['evt_inv_3_invoice.paid', 'extend', '', 'active'],
    ['evt_upgrade', 'change_plan+set_domain_limit', 'plan_changed', 'active'],
    ['evt_dispute', 'suspend', 'suspended', 'suspended'],
    ['evt_won', 'reactivate', 'reactivated', 'active'],
    ['evt_partial', '', '', 'active'],
    ['evt_deleted', 'revoke', 'revoked', 'revoked'],
  ]);
});
