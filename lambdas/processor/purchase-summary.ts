import type { AppliedLicense, PurchaseFacts, PurchaseState } from '../domain/purchase';

/** What the audit history, the logs and the ops views show of a purchase: everything but the license key. */
export type PurchaseSummary = PurchaseFacts & {
  kind: PurchaseState['kind'];
  /** Why the license was revoked (final), or null. */
  revoked: string | null;
  license: Omit<AppliedLicense, 'licenseKey' | 'createdAtMs'> | null;
};

export function summarizePurchase(state: PurchaseState): PurchaseSummary {
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
