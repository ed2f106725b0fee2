/**
 * What the lifecycle needs from a license vendor. One adapter: Traffic Orchestrator
 * (lambdas/adapters/traffic-orchestrator-license-provider.ts). Errors are thrown as
 * LicenseProviderError so the processor can tell "try again later" from "this will never work".
 */
export interface ProviderLicense {
  licenseId: string;
  /** Secret: never log it. */
  licenseKey: string;
  planId: string;
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  domains: string[];
  /** ISO-8601, or null for a perpetual license. */
  expiresAt: string | null;
  /** The purchase reference stored in the vendor's `appName`, when the vendor returns it. */
  purchaseRef: string | null;
}

export interface PlanChangeResult {
  license: ProviderLicense;
  /** true when the vendor could not change the plan in place and a new license (new key) replaced the old one. */
  reissued: boolean;
}

export interface LicenseProvider {
  /** Creates one license. Never retried internally: an unknown outcome is resolved with findByPurchaseRef. */
  create(input: { purchaseRef: string; planId: string }): Promise<ProviderLicense>;
  /** All licenses whose purchase reference (appName) equals `purchaseRef`, oldest first. */
  findByPurchaseRef(purchaseRef: string): Promise<ProviderLicense[]>;
  /** Reads one license; null when the vendor does not know it. */
  get(licenseId: string): Promise<ProviderLicense | null>;
  suspend(licenseId: string): Promise<void>;
  reactivate(licenseId: string): Promise<void>;
  /** Final. Revoking a license the vendor no longer has counts as done. */
  revoke(licenseId: string): Promise<void>;
  /** Moves the expiry to `expiresAt` (ISO-8601), computing the days from the vendor's current expiry; no-op when already there or later. */
  extendTo(licenseId: string, expiresAt: string): Promise<void>;
  /** Changes the plan in place, or re-issues (create new, move domains, revoke old) when the vendor ignores the change. */
  changePlan(licenseId: string, planId: string, purchaseRef: string): Promise<PlanChangeResult>;
  /** Enforces a domain limit: removes the newest domains beyond `maxDomains`; returns the removed ones. */
  setDomainLimit(licenseId: string, maxDomains: number): Promise<{ removed: string[] }>;
}

export class LicenseProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Vendor error code (e.g. TO's `code`), or a transport code such as `TIMEOUT`, `NETWORK`. */
    readonly code: string,
    /** HTTP status, when there was a response. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LicenseProviderError';
  }

  /** True when the request may have reached the vendor and the outcome is unknown (timeout, lost response). */
  get outcomeUnknown(): boolean {
    return this.code === 'TIMEOUT' || this.code === 'NETWORK';
  }
}
