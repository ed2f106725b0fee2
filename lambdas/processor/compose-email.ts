/**
 * Turns an e-mail the lifecycle decided on (an outbox intent) into a rendered message, filling in
 * the purchase's current terms. The license key is read from the ledger here, at send time, so it
 * is never copied into the outbox or the audit history.
 */
import { renderEmail, type EmailRequest } from '../domain/emails';
import { desiredLicense } from '../domain/lifecycle';
import type { PlansConfig } from '../domain/plans';
import type { EmailIntent, PurchaseState } from '../domain/purchase';
import type { EmailMessage } from '../ports/notifier';

const DAY_SECONDS = 86_400;

export function composeEmail(intent: EmailIntent, state: PurchaseState, plans: PlansConfig, nowMs: number): EmailMessage {
  if (!state.email) throw new Error(`purchase ${state.purchaseId} has no customer e-mail`);
  const request = buildRequest(intent, state, plans, nowMs);
  return {
    to: state.email,
    ...renderEmail(request, plans.email),
    template: intent.template,
    purchaseId: state.purchaseId,
    // The intent id is unique within the purchase (source + template); one grace-escalation run is
    // the source for many purchases, so the purchase makes the message id unique overall.
    messageId: `${state.purchaseId}:${intent.id}`,
  };
}

function buildRequest(intent: EmailIntent, state: PurchaseState, plans: PlansConfig, nowMs: number): EmailRequest {
  const desired = desiredLicense(state, plans);
  const license = state.license;
  const customerName = state.name;
  const paidTier = desired?.paidTier ?? state.facts.tier ?? license?.tier ?? 'unknown';
  const terms = {
    tierName: desired?.tier ?? paidTier,
    maxDomains: desired?.maxDomains ?? license?.maxDomains ?? 0,
    features: plans.tiers[desired?.tier ?? paidTier]?.features ?? [],
    expiresAt: desired?.expiresAt ?? license?.expiresAt ?? null,
  };
  const grace = state.facts.grace;
  const daysUntil = (day: number) => grace ? Math.max(0, Math.ceil((grace.startedAt + day * DAY_SECONDS - nowMs / 1000) / DAY_SECONDS)) : day;

  switch (intent.template) {
    case 'license_delivered':
      return { template: 'license_delivered', customerName, ...terms, licenseKey: requireKey(state) };
    case 'payment_failed':
    case 'payment_reminder':
      return {
        template: intent.template,
        customerName,
        tierName: paidTier,
        daysUntilDowngrade: daysUntil(plans.grace.downgradeDay),
        daysUntilSuspension: daysUntil(plans.grace.suspendDay),
      };
    case 'downgraded':
      return {
        template: 'downgraded',
        customerName,
        originalTierName: paidTier,
        tierName: plans.freeTier,
        maxDomains: plans.tiers[plans.freeTier].maxDomains,
        daysUntilSuspension: daysUntil(plans.grace.suspendDay),
      };
    case 'suspended':
      return { template: 'suspended', customerName, tierName: paidTier, reason: intent.suspendReason ?? 'payment' };
    case 'reactivated':
      return { template: 'reactivated', customerName, ...terms };
    case 'revoked':
      return { template: 'revoked', customerName, tierName: paidTier, reason: intent.revokeReason ?? 'canceled' };
    case 'plan_changed':
      return intent.newKey
        ? { template: 'plan_changed', customerName, ...terms, previousTierName: intent.previousTier ?? null, newKey: true, licenseKey: requireKey(state) }
        : { template: 'plan_changed', customerName, ...terms, previousTierName: intent.previousTier ?? null, newKey: false };
  }
}

function requireKey(state: PurchaseState): string {
  if (!state.license) throw new Error(`purchase ${state.purchaseId} has no license yet`);
  return state.license.licenseKey;
}
