import type { PurchaseState } from '../domain/purchase';

/** What the audit history and logs show of a purchase: everything but the license key. */
export function summarizePurchase(state: PurchaseState): Record<string, unknown> {
  const { license } = state;
  return {
    kind: state.kind,
    ...state.facts,
    revoked: state.revoked?.reason ?? null,
    license: license
      ? { licenseId: license.licenseId, planId: license.planId, tier: license.tier, maxDomains: license.maxDomains, status: license.status, expiresAt: license.expiresAt }
      : null,
  };
}
