/**
 * LicenseProvider on Traffic Orchestrator (TO), through the real `@traffic-orchestrator/client`
 * SDK. What the SDK and the API do not give us, this adapter builds (DESIGN.md §4):
 * - No retries inside: the SDK is built with `retries: 0`, because it would also retry a POST
 *   whose response was lost and create a second license. The SQS queue retries the whole event,
 *   and an unknown create outcome is resolved with `findByPurchaseRef` (the purchase reference is
 *   the license's `appName`).
 * - No plan-change call: `changePlan` PATCHes `{planId}` with a raw request and reads the license
 *   back; when the plan did not change it re-issues, in an order that a second call can finish.
 * - Every failure becomes a LicenseProviderError that says whether retrying can help. Messages
 *   never carry a license key.
 */
import TO = require('@traffic-orchestrator/client');
import {
  LicenseProviderError,
  type LicenseProvider,
  type PlanChangeResult,
  type ProviderLicense,
} from '../ports/license-provider';

export interface TrafficOrchestratorConfig {
  /** Base URL incl. `/api/v1`, e.g. `https://api.trafficorchestrator.com/api/v1`. */
  apiUrl: string;
  /** Secret: never log it. */
  apiKey: string;
  /** Per-request timeout; an expired one is reported as TIMEOUT (outcome unknown). */
  timeoutMs: number;
}

/** The SDK calls the adapter uses; the real client satisfies it. */
export type TrafficOrchestratorSdk = Pick<
  TO.TrafficOrchestrator,
  | 'createLicense'
  | 'listLicenses'
  | 'getDomains'
  | 'updateLicenseStatus'
  | 'deleteLicense'
  | 'batchLicenseOperation'
  | 'addDomain'
  | 'removeDomain'
>;

const DAY_MS = 24 * 60 * 60 * 1000;
const LICENSE_STATUSES: ReadonlyArray<ProviderLicense['status']> = ['active', 'suspended', 'revoked', 'expired'];
/** Statuses that a plan-change PATCH may answer with when the API does not accept `{planId}`: treated as "not changed in place". */
const PLAN_PATCH_REJECTED = new Set([400, 405, 422]);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function buildTrafficOrchestratorSdk(config: TrafficOrchestratorConfig): TO.TrafficOrchestrator {
  return new TO.TrafficOrchestrator({
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    timeout: config.timeoutMs,
    // We own retries (the queue redelivers the event); see the module comment.
    retries: 0,
  });
}

export class TrafficOrchestratorLicenseProvider implements LicenseProvider {
  private readonly sdk: TrafficOrchestratorSdk;
  private readonly baseUrl: string;

  constructor(
    private readonly config: TrafficOrchestratorConfig,
    sdk?: TrafficOrchestratorSdk,
  ) {
    this.sdk = sdk ?? buildTrafficOrchestratorSdk(config);
    this.baseUrl = config.apiUrl.replace(/\/+$/, '');
  }

  async create(input: { purchaseRef: string; planId: string }): Promise<ProviderLicense> {
    const raw = await this.call('create', () => this.sdk.createLicense({ appName: input.purchaseRef, planId: input.planId }));
    return parseLicense(unwrapLicense(raw), 'create').license;
  }

  async findByPurchaseRef(purchaseRef: string): Promise<ProviderLicense[]> {
    const listed: unknown = await this.call('list', () => this.sdk.listLicenses());
    if (!Array.isArray(listed)) throw invalidResponse('list', 'the license list is not an array');
    // Only the purchase's own records are parsed: one odd record elsewhere in the account must not block every lookup.
    return listed
      .filter((item) => isObject(item) && purchaseRefOf(item) === purchaseRef)
      .map((item) => parseLicense(item, 'list'))
      .sort((a, b) => a.createdAtMs - b.createdAtMs)
      .map((parsed) => parsed.license);
  }

  async get(licenseId: string): Promise<ProviderLicense | null> {
    try {
      // Despite its name, getDomains is GET /portal/licenses/:id and answers with the license.
      const raw: unknown = await this.call(`get ${licenseId}`, () => this.sdk.getDomains(licenseId));
      return parseLicense(unwrapLicense(raw), 'get').license;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async suspend(licenseId: string): Promise<void> {
    await this.call(`suspend ${licenseId}`, () => this.sdk.updateLicenseStatus(licenseId, 'suspended'));
  }

  async reactivate(licenseId: string): Promise<void> {
    await this.call(`reactivate ${licenseId}`, () => this.sdk.updateLicenseStatus(licenseId, 'active'));
  }

  async revoke(licenseId: string): Promise<void> {
    try {
      await this.call(`revoke ${licenseId}`, () => this.sdk.deleteLicense(licenseId));
    } catch (error) {
      // Already gone (or revoked by an earlier attempt whose answer was lost): the goal is reached.
      if (isNotFound(error) || (error instanceof LicenseProviderError && error.status === 410)) return;
      throw error;
    }
  }

  /**
   * TO can only add whole days, so the days are computed from the expiry TO has now (read back
   * first): a repeated call after a lost answer adds nothing. Rounds up, so the license never ends
   * before the paid period. Assumes TO adds to the current expiry even when it lies in the past.
   */
  async extendTo(licenseId: string, expiresAt: string): Promise<void> {
    const target = Date.parse(expiresAt);
    if (Number.isNaN(target)) throw new LicenseProviderError(`extendTo ${licenseId}: invalid target date`, false, 'INVALID_ARGUMENT');
    const license = await this.requireLicense(licenseId, 'extend');
    if (license.expiresAt === null) return; // perpetual: nothing to extend
    const current = Date.parse(license.expiresAt);
    if (Number.isNaN(current)) throw invalidResponse('extend', 'expires_at is not a date');
    const days = Math.ceil((target - current) / DAY_MS);
    if (days <= 0) return;
    const result: unknown = await this.call(`extend ${licenseId}`, () => this.sdk.batchLicenseOperation('extend', [licenseId], days));
    assertBatchSucceeded(result, licenseId, 'extend');
  }

  /**
   * Re-issue order: find-or-create the replacement, copy domains/status/expiry onto it, and only
   * then revoke the old license. Every step is safe to repeat, so a call interrupted anywhere is
   * finished by calling again: an existing non-revoked license of this purchase with the target
   * plan is adopted instead of creating another, and when the old license is already gone the
   * replacement is returned as is.
   */
  async changePlan(licenseId: string, planId: string, purchaseRef: string): Promise<PlanChangeResult> {
    const oldGone = (await this.patchPlan(licenseId, planId)) === 'gone';
    const found = oldGone ? null : await this.get(licenseId);
    // A revoked license (should TO still return one) is never re-issued: that would resurrect a final revoke.
    const current = found && found.status !== 'revoked' ? found : null;
    if (current && current.planId === planId) return { license: current, reissued: false };
    if (current) return { license: await this.reissue(current, planId, purchaseRef), reissued: true };

    const replacement = await this.findReplacement(licenseId, planId, purchaseRef);
    if (!replacement) {
      throw new LicenseProviderError(`Traffic Orchestrator changePlan ${licenseId} failed: license not found and no replacement with the target plan`, false, 'NOT_FOUND', 404);
    }
    return { license: replacement, reissued: true };
  }

  /** Keeps the first `maxDomains` domains (TO lists them oldest first) and removes the rest. */
  async setDomainLimit(licenseId: string, maxDomains: number): Promise<{ removed: string[] }> {
    if (!Number.isInteger(maxDomains) || maxDomains < 0) {
      throw new LicenseProviderError(`setDomainLimit ${licenseId}: maxDomains must be a non-negative integer`, false, 'INVALID_ARGUMENT');
    }
    const license = await this.requireLicense(licenseId, 'setDomainLimit');
    const removed = license.domains.slice(maxDomains);
    for (const domain of removed) {
      try {
        await this.call(`removeDomain ${licenseId}`, () => this.sdk.removeDomain(licenseId, domain));
      } catch (error) {
        if (!isNotFound(error)) throw error; // a domain already removed by an earlier attempt is fine
      }
    }
    return { removed };
  }

  private async reissue(old: ProviderLicense, planId: string, purchaseRef: string): Promise<ProviderLicense> {
    const replacement = (await this.findReplacement(old.licenseId, planId, purchaseRef)) ?? (await this.create({ purchaseRef, planId }));
    const id = replacement.licenseId;

    for (const domain of old.domains.filter((d) => !replacement.domains.includes(d))) {
      try {
        await this.call(`addDomain ${id}`, () => this.sdk.addDomain(id, domain));
      } catch (error) {
        if (!(error instanceof LicenseProviderError && error.status === 409)) throw error; // 409: already there
      }
    }
    if (old.status === 'suspended' && replacement.status === 'active') await this.suspend(id);
    // A replacement starts with TO's default term; carry the paid-for expiry over. (A perpetual old
    // license cannot be reproduced through the API; the replacement keeps TO's default.)
    if (old.expiresAt !== null) await this.extendTo(id, old.expiresAt);

    await this.revoke(old.licenseId);
    const moved = await this.get(id);
    if (!moved) throw invalidResponse('changePlan', `replacement ${id} vanished after re-issue`);
    return moved;
  }

  private async findReplacement(oldLicenseId: string, planId: string, purchaseRef: string): Promise<ProviderLicense | null> {
    const licenses = await this.findByPurchaseRef(purchaseRef);
    return licenses.find((l) => l.licenseId !== oldLicenseId && l.planId === planId && l.status !== 'revoked') ?? null;
  }

  /** PATCH `{planId}`: 'gone' when TO no longer has the license; otherwise the read-back decides whether it worked. */
  private async patchPlan(licenseId: string, planId: string): Promise<'sent' | 'gone'> {
    try {
      await this.rawRequest(`changePlan ${licenseId}`, 'PATCH', `/portal/licenses/${encodeURIComponent(licenseId)}`, { planId });
      return 'sent';
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      // An API that refuses the field outright is the same as one that ignores it: re-issue.
      if (error instanceof LicenseProviderError && error.status !== undefined && PLAN_PATCH_REJECTED.has(error.status)) return 'sent';
      throw error;
    }
  }

  private async requireLicense(licenseId: string, operation: string): Promise<ProviderLicense> {
    const license = await this.get(licenseId);
    if (!license) throw new LicenseProviderError(`Traffic Orchestrator ${operation} ${licenseId} failed: license not found`, false, 'NOT_FOUND', 404);
    return license;
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(run(), this.deadlineMs());
    } catch (error) {
      throw toLicenseProviderError(operation, error);
    }
  }

  /**
   * The SDK's abort timer stops once headers arrive, so a body that never finishes would hang the
   * Lambda until its own timeout. This outer deadline turns that into a TIMEOUT as well.
   */
  private deadlineMs(): number {
    return this.config.timeoutMs * 2;
  }

  /** A request the SDK has no method for, made the way the SDK makes its own (same URL, auth, timeout, error shape). */
  private async rawRequest(operation: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.config.apiKey}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      const text = await res.text(); // still under the timer, unlike the SDK
      let data: unknown;
      try {
        data = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        // 4xx is final; 5xx, 429 and a 2xx we cannot read (the change may have happened) are worth retrying.
        const retryable = res.ok || res.status === 429 || res.status >= 500;
        throw new LicenseProviderError(`Traffic Orchestrator ${operation} failed: HTTP ${res.status} with a non-JSON body`, retryable, 'INVALID_RESPONSE', res.status);
      }
      if (!res.ok) {
        const record = isObject(data) ? data : {};
        const code = typeof record.code === 'string' ? record.code : undefined;
        throw fromHttpStatus(operation, res.status, code, typeof record.error === 'string' ? record.error : undefined);
      }
      return data;
    } catch (error) {
      throw toLicenseProviderError(operation, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

// ── Error mapping ──────────────────────────────────────────────────────────────────────────────

class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  work.catch(() => undefined); // the loser of the race must not become an unhandled rejection
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removes anything shaped like a license key from vendor-supplied text, and bounds its length. */
export function redactLicenseKeys(text: string): string {
  return text.replace(/\bLK-[A-Za-z0-9][A-Za-z0-9-]*/g, 'LK-[redacted]').slice(0, 200);
}

function fromHttpStatus(operation: string, status: number, vendorCode: string | undefined, vendorMessage: string | undefined): LicenseProviderError {
  const detail = vendorMessage ? `: ${redactLicenseKeys(vendorMessage)}` : '';
  if (status === 429) {
    return new LicenseProviderError(`Traffic Orchestrator ${operation} was rate limited (HTTP 429)${detail}`, true, 'RATE_LIMITED', status);
  }
  const code = vendorCode && vendorCode.trim() !== '' ? vendorCode : `HTTP_${status}`;
  const retryable = status >= 500;
  return new LicenseProviderError(`Traffic Orchestrator ${operation} failed: HTTP ${status} ${code}${detail}`, retryable, code, status);
}

const REWRAPPED = /^(AbortError|TimeoutError|SyntaxError|TypeError): ([\s\S]*)$/;

/**
 * Name and message, by duck typing rather than `instanceof`: fetch's errors may come from another
 * realm (jest's sandbox), and the SDK then re-wraps them as `new Error(String(e))`, so a timeout
 * arrives as a plain Error whose message is "AbortError: This operation was aborted".
 */
function describeError(error: unknown): { name: string; message: string } {
  const name = isObject(error) && typeof error.name === 'string' ? error.name : '';
  const message = isObject(error) && typeof error.message === 'string' ? error.message : '';
  const rewrapped = name === 'Error' ? REWRAPPED.exec(message) : null;
  return rewrapped ? { name: rewrapped[1], message: rewrapped[2] } : { name, message };
}

function networkCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; isObject(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string' && (NETWORK_ERROR_CODES.has(e.code) || e.code.startsWith('UND_ERR'))) return e.code;
  }
  return undefined;
}

/**
 * Maps anything the SDK, fetch or this adapter throws onto LicenseProviderError:
 * 429 → retryable RATE_LIMITED · 5xx → retryable · other 4xx → final with TO's code ·
 * abort/timeout → retryable TIMEOUT · socket-level failures → retryable NETWORK ·
 * an unreadable (non-JSON) body → INVALID_RESPONSE (through the SDK the status is not visible, so
 * it is retryable: the queue's retry limit bounds it) · anything else → retryable UNEXPECTED.
 * The SDK's own messages are not copied: a JSON parse error quotes the body, which may hold a key.
 */
export function toLicenseProviderError(operation: string, error: unknown): LicenseProviderError {
  if (error instanceof LicenseProviderError) return error;

  if (error instanceof TO.TrafficOrchestratorError || (isObject(error) && error.name === 'TrafficOrchestratorError' && typeof error.status === 'number')) {
    const e = error as TO.TrafficOrchestratorError;
    return fromHttpStatus(operation, e.status, typeof e.code === 'string' ? e.code : undefined, e.message);
  }

  const { name, message } = describeError(error);
  if (name === 'AbortError' || name === 'TimeoutError' || error instanceof DeadlineExceeded) {
    return new LicenseProviderError(`Traffic Orchestrator ${operation} timed out; the outcome is unknown`, true, 'TIMEOUT', undefined, { cause: error });
  }

  if (name === 'SyntaxError') {
    return new LicenseProviderError(`Traffic Orchestrator ${operation} failed: the response body is not JSON`, true, 'INVALID_RESPONSE');
  }

  const networkCode = networkCodeOf(error);
  if (networkCode || (name === 'TypeError' && message === 'fetch failed')) {
    const why = networkCode ? ` (${networkCode})` : '';
    return new LicenseProviderError(`Traffic Orchestrator ${operation} failed: network error${why}; the outcome is unknown`, true, 'NETWORK', undefined, { cause: error });
  }

  return new LicenseProviderError(`Traffic Orchestrator ${operation} failed unexpectedly (${name || typeof error})`, true, 'UNEXPECTED');
}

function isNotFound(error: unknown): boolean {
  return error instanceof LicenseProviderError && error.status === 404;
}

function invalidResponse(operation: string, why: string): LicenseProviderError {
  // Retryable: a malformed success may still have done the work (a create), and the retry limit bounds it.
  return new LicenseProviderError(`Traffic Orchestrator ${operation} returned an unexpected response: ${why}`, true, 'INVALID_RESPONSE');
}

// ── Response parsing ───────────────────────────────────────────────────────────────────────────

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The API answers with the license itself; accept a `{license: …}` envelope too. */
function unwrapLicense(raw: unknown): unknown {
  return isObject(raw) && isObject(raw.license) ? raw.license : raw;
}

/** The SDK's `License` type omits it, but the API returns the appName; accept either spelling. */
function purchaseRefOf(item: Record<string, unknown>): string | null {
  const value = item.app_name ?? item.appName;
  return typeof value === 'string' ? value : null;
}

function parseLicense(raw: unknown, operation: string): { license: ProviderLicense; createdAtMs: number } {
  if (!isObject(raw) || typeof raw.license_id !== 'string' || raw.license_id === '') {
    throw invalidResponse(operation, 'no license_id');
  }
  const status = raw.status;
  if (typeof status !== 'string' || !(LICENSE_STATUSES as readonly string[]).includes(status)) {
    throw invalidResponse(operation, `license ${raw.license_id} has an unknown status`);
  }
  const expiresAt = raw.expires_at;
  if (expiresAt !== null && expiresAt !== undefined && typeof expiresAt !== 'string') {
    throw invalidResponse(operation, `license ${raw.license_id} has a malformed expires_at`);
  }
  const domains = Array.isArray(raw.domains) ? raw.domains.filter((d): d is string => typeof d === 'string') : [];
  const createdAtMs = typeof raw.created_at === 'string' ? Date.parse(raw.created_at) : NaN;
  return {
    license: {
      licenseId: raw.license_id,
      licenseKey: typeof raw.license_key === 'string' ? raw.license_key : '',
      planId: typeof raw.plan_id === 'string' ? raw.plan_id : '',
      status: status as ProviderLicense['status'],
      domains,
      expiresAt: expiresAt ?? null,
      purchaseRef: purchaseRefOf(raw),
    },
    // Unknown creation times sort last rather than failing the lookup.
    createdAtMs: Number.isNaN(createdAtMs) ? Number.MAX_SAFE_INTEGER : createdAtMs,
  };
}

function assertBatchSucceeded(result: unknown, licenseId: string, action: string): void {
  if (!isObject(result)) throw invalidResponse(action, 'the batch result is not an object');
  const items = Array.isArray(result.results) ? result.results.filter(isObject) : [];
  const item = items.find((r) => r.licenseId === licenseId);
  const failed = typeof result.failed === 'number' ? result.failed : 0;
  if (failed > 0 || (item && item.success !== true)) {
    const why = item && typeof item.error === 'string' ? `: ${redactLicenseKeys(item.error)}` : '';
    // Final: TO answered and refused this license; the read-back makes a later replay safe anyway.
    throw new LicenseProviderError(`Traffic Orchestrator ${action} ${licenseId} failed${why}`, false, 'BATCH_OPERATION_FAILED', 200);
  }
  if (typeof result.succeeded === 'number' && result.succeeded < 1) {
    throw invalidResponse(action, 'the batch reports no license processed');
  }
}
