/**
 * The Traffic Orchestrator adapter through the real SDK over HTTP, against the local fake TO.
 * The fake's clock is fixed, so expiry arithmetic is exact. Calls meant to time out use a 300 ms
 * client timeout, the rest a generous one. No assertion depends on how long anything took.
 */
import TO = require('@traffic-orchestrator/client');
import { TrafficOrchestratorLicenseProvider } from '../../lambdas/adapters/traffic-orchestrator-license-provider';
import { LicenseProviderError } from '../../lambdas/ports/license-provider';
import { startFakeTrafficOrchestrator, type FakeTrafficOrchestrator } from '../support/fake-traffic-orchestrator';

const API_KEY = 'to_test_key_123';
/** For calls that are expected to time out (a held request): short, so those tests stay fast. */
const SHORT_TIMEOUT_MS = 300;
/** For everything else: generous, so a busy machine cannot turn a slow first request into a TIMEOUT. */
const TIMEOUT_MS = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

let fake: FakeTrafficOrchestrator;
let nowMs = T0;
let provider: TrafficOrchestratorLicenseProvider;
/** Same fake, short client timeout: only for calls that hit a 'timeout' or hanging 'lost_response' fault. */
let quickProvider: TrafficOrchestratorLicenseProvider;
/** A plain SDK client for setting up state the adapter does not offer (adding domains, validating keys). */
let sdk: TO.TrafficOrchestrator;

beforeAll(async () => {
  fake = await startFakeTrafficOrchestrator({ apiKey: API_KEY, now: () => new Date(nowMs) });
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
  nowMs = T0;
  provider = new TrafficOrchestratorLicenseProvider({ apiUrl: fake.url, apiKey: API_KEY, timeoutMs: TIMEOUT_MS });
  quickProvider = new TrafficOrchestratorLicenseProvider({ apiUrl: fake.url, apiKey: API_KEY, timeoutMs: SHORT_TIMEOUT_MS });
  sdk = new TO.TrafficOrchestrator({ apiUrl: fake.url, apiKey: API_KEY, retries: 0, timeout: 2000 });
});

/** Runs `work`, expects a LicenseProviderError and returns it. */
async function providerError(work: Promise<unknown>): Promise<LicenseProviderError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseProviderError);
  return error as LicenseProviderError;
}

const activeLicensesOf = (purchaseRef: string) =>
  fake.licenses().filter((l) => l.app_name === purchaseRef && l.status !== 'revoked');

const countRequests = (method: string, path: string | RegExp) =>
  fake.requests().filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))).length;

describe('create and findByPurchaseRef', () => {
  it('creates a license whose appName is the purchase reference, and finds it again', async () => {
    const created = await provider.create({ purchaseRef: 'sub_123', planId: 'plan_pro' });

    expect(created).toEqual({
      licenseId: expect.stringMatching(/^lic_/),
      licenseKey: expect.stringMatching(/^LK-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/),
      planId: 'plan_pro',
      status: 'active',
      domains: [],
      expiresAt: new Date(T0 + 30 * DAY_MS).toISOString(),
      purchaseRef: 'sub_123',
    });
    expect(fake.licenses()).toEqual([expect.objectContaining({ license_id: created.licenseId, app_name: 'sub_123', plan_id: 'plan_pro' })]);
    await expect(provider.findByPurchaseRef('sub_123')).resolves.toEqual([created]);
    await expect(provider.findByPurchaseRef('sub_other')).resolves.toEqual([]);
  });

  it('returns only the purchase’s licenses, oldest first even when TO lists them otherwise', async () => {
    nowMs = T0 + 60 * 60 * 1000;
    const later = await provider.create({ purchaseRef: 'sub_A', planId: 'plan_pro' });
    await provider.create({ purchaseRef: 'sub_B', planId: 'plan_pro' });
    nowMs = T0;
    const earlier = await provider.create({ purchaseRef: 'sub_A', planId: 'plan_starter' });

    const found = await provider.findByPurchaseRef('sub_A');

    expect(found.map((l) => l.licenseId)).toEqual([earlier.licenseId, later.licenseId]);
  });
});

describe('unknown outcomes', () => {
  it('reports a timeout as retryable TIMEOUT with an unknown outcome (nothing created when the work was not done)', async () => {
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: 'timeout' });

    const error = await providerError(quickProvider.create({ purchaseRef: 'sub_t', planId: 'plan_pro' }));

    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, outcomeUnknown: true, status: undefined });
    expect(fake.licenses()).toEqual([]);
  });

  it('a create whose response is lost times out, and findByPurchaseRef then finds the license it made', async () => {
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: 'lost_response' });

    const error = await providerError(quickProvider.create({ purchaseRef: 'sub_lost', planId: 'plan_pro' }));

    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, outcomeUnknown: true });
    const found = await provider.findByPurchaseRef('sub_lost');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ planId: 'plan_pro', status: 'active', purchaseRef: 'sub_lost' });
    expect(found[0].licenseKey).toBe(fake.licenses()[0].license_key);
  });

  it('a dropped connection after the work is done is retryable NETWORK with an unknown outcome', async () => {
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: 'lost_response', lostResponse: 'reset' });

    // The short-timeout client: the SDK leaves its abort timer running when fetch fails, and a 5 s one would outlive the test.
    const error = await providerError(quickProvider.create({ purchaseRef: 'sub_reset', planId: 'plan_pro' }));

    expect(error).toMatchObject({ code: 'NETWORK', retryable: true, outcomeUnknown: true });
    await expect(provider.findByPurchaseRef('sub_reset')).resolves.toHaveLength(1);
  });

  it('a refused connection is retryable NETWORK', async () => {
    const gone = await startFakeTrafficOrchestrator();
    const url = gone.url;
    await gone.stop();
    const offline = new TrafficOrchestratorLicenseProvider({ apiUrl: url, apiKey: API_KEY, timeoutMs: SHORT_TIMEOUT_MS });

    const error = await providerError(offline.findByPurchaseRef('sub_x'));

    expect(error).toMatchObject({ code: 'NETWORK', retryable: true });
  });
});

describe('HTTP errors', () => {
  it('5xx is retryable and keeps TO’s code and status', async () => {
    fake.injectFault({ method: 'GET', path: '/portal/licenses', kind: '5xx', status: 503, code: 'SERVICE_UNAVAILABLE' });

    const error = await providerError(provider.findByPurchaseRef('sub_1'));

    expect(error).toMatchObject({ retryable: true, code: 'SERVICE_UNAVAILABLE', status: 503, outcomeUnknown: false });
  });

  it('the SDK is built with retries: 0 — one 5xx fails the call although the next attempt would succeed', async () => {
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: '5xx', times: 1 });

    const error = await providerError(provider.create({ purchaseRef: 'sub_once', planId: 'plan_pro' }));

    expect(error).toMatchObject({ retryable: true, status: 500, code: 'INTERNAL_ERROR' });
    expect(countRequests('POST', '/portal/licenses')).toBe(1);
    expect(fake.licenses()).toEqual([]);
    // The fault is used up: a retry (ours, through the queue) succeeds.
    await expect(provider.create({ purchaseRef: 'sub_once', planId: 'plan_pro' })).resolves.toMatchObject({ purchaseRef: 'sub_once' });
  });

  it('429 is retryable RATE_LIMITED', async () => {
    fake.injectFault({ method: 'PATCH', kind: '429' });
    const license = await provider.create({ purchaseRef: 'sub_rl', planId: 'plan_pro' });

    const error = await providerError(provider.suspend(license.licenseId));

    expect(error).toMatchObject({ retryable: true, code: 'RATE_LIMITED', status: 429 });
  });

  it('a validation 4xx is final and carries TO’s code', async () => {
    const error = await providerError(provider.create({ purchaseRef: '', planId: 'plan_pro' }));

    expect(error).toMatchObject({ retryable: false, code: 'VALIDATION_ERROR', status: 400, outcomeUnknown: false });
    expect(error.message).toContain('appName is required');
  });

  it('an unknown license is a final NOT_FOUND for suspend', async () => {
    const error = await providerError(provider.suspend('lic_missing'));

    expect(error).toMatchObject({ retryable: false, code: 'NOT_FOUND', status: 404 });
  });

  it('a wrong API key is final UNAUTHORIZED', async () => {
    const wrongKey = new TrafficOrchestratorLicenseProvider({ apiUrl: fake.url, apiKey: 'to_wrong', timeoutMs: TIMEOUT_MS });

    const error = await providerError(wrongKey.findByPurchaseRef('sub_1'));

    expect(error).toMatchObject({ retryable: false, code: 'UNAUTHORIZED', status: 401 });
  });

  it('a non-JSON answer (proxy error page) is retryable INVALID_RESPONSE and its body is not quoted', async () => {
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: 'non_json' });

    const error = await providerError(provider.create({ purchaseRef: 'sub_html', planId: 'plan_pro' }));

    expect(error).toMatchObject({ retryable: true, code: 'INVALID_RESPONSE' });
    expect(error.message).not.toMatch(/html|Bad Gateway/i);
  });

  it('a non-JSON 4xx on the raw plan PATCH is final INVALID_RESPONSE with its status', async () => {
    const license = await provider.create({ purchaseRef: 'sub_html4', planId: 'plan_pro' });
    fake.injectFault({ method: 'PATCH', kind: 'non_json', status: 403 });

    const error = await providerError(provider.changePlan(license.licenseId, 'plan_business', 'sub_html4'));

    expect(error).toMatchObject({ retryable: false, code: 'INVALID_RESPONSE', status: 403 });
  });

  it('error messages never contain a license key', async () => {
    const license = await provider.create({ purchaseRef: 'sub_secret', planId: 'plan_pro' });
    const failures = [
      ['timeout', () => quickProvider.get(license.licenseId)],
      ['5xx', () => provider.suspend(license.licenseId)],
      ['non_json', () => provider.get(license.licenseId)],
    ] as const;
    for (const [kind, call] of failures) {
      fake.injectFault({ kind });
      const error = await providerError(call());
      expect(error.message).not.toContain(license.licenseKey);
      expect(error.message).not.toContain(API_KEY);
    }
  });
});

describe('status changes', () => {
  it('suspends, reactivates and revokes; revoking twice is fine; TO validation follows', async () => {
    const license = await provider.create({ purchaseRef: 'sub_s', planId: 'plan_pro' });

    await provider.suspend(license.licenseId);
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ status: 'suspended' });
    await expect(sdk.validateLicense(license.licenseKey)).resolves.toMatchObject({ valid: false });

    await provider.reactivate(license.licenseId);
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ status: 'active' });
    await expect(sdk.validateLicense(license.licenseKey)).resolves.toMatchObject({ valid: true, plan: 'plan_pro' });

    await provider.revoke(license.licenseId);
    await provider.revoke(license.licenseId);
    await expect(provider.get(license.licenseId)).resolves.toBeNull();
    await expect(sdk.validateLicense(license.licenseKey)).resolves.toMatchObject({ valid: false });
    expect(fake.licenses()).toEqual([expect.objectContaining({ license_id: license.licenseId, status: 'revoked' })]);
  });

  it('get returns null for a license TO does not know', async () => {
    await expect(provider.get('lic_nope')).resolves.toBeNull();
  });
});

describe('extendTo', () => {
  it('adds the days between TO’s current expiry and the target, rounding up', async () => {
    const license = await provider.create({ purchaseRef: 'sub_e', planId: 'plan_pro' });
    const currentExpiry = T0 + 30 * DAY_MS;
    expect(license.expiresAt).toBe(new Date(currentExpiry).toISOString());

    await provider.extendTo(license.licenseId, new Date(currentExpiry + 15 * DAY_MS).toISOString());
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ expiresAt: new Date(currentExpiry + 15 * DAY_MS).toISOString() });

    // Two hours past a whole day: TO can only add days, so it gets one more rather than ending early.
    await provider.extendTo(license.licenseId, new Date(currentExpiry + 16 * DAY_MS + 2 * 60 * 60 * 1000).toISOString());
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ expiresAt: new Date(currentExpiry + 17 * DAY_MS).toISOString() });
    expect(countRequests('POST', '/portal/licenses/batch')).toBe(2);
  });

  it('is a no-op when TO’s expiry is already at or after the target (a replayed extension adds nothing)', async () => {
    const license = await provider.create({ purchaseRef: 'sub_e2', planId: 'plan_pro' });
    const target = new Date(T0 + 45 * DAY_MS).toISOString();
    await provider.extendTo(license.licenseId, target);

    await provider.extendTo(license.licenseId, target);
    await provider.extendTo(license.licenseId, new Date(T0 + 40 * DAY_MS).toISOString());

    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ expiresAt: target });
    expect(countRequests('POST', '/portal/licenses/batch')).toBe(1);
  });

  it('is a no-op for a license that never expires', async () => {
    const perpetualTo = await startFakeTrafficOrchestrator({ apiKey: API_KEY, licenseDurationDays: null });
    try {
      const p = new TrafficOrchestratorLicenseProvider({ apiUrl: perpetualTo.url, apiKey: API_KEY, timeoutMs: TIMEOUT_MS });
      const license = await p.create({ purchaseRef: 'pi_once', planId: 'plan_lifetime' });
      expect(license.expiresAt).toBeNull();

      await p.extendTo(license.licenseId, '2030-01-01T00:00:00.000Z');

      expect(perpetualTo.requests().some((r) => r.path === '/portal/licenses/batch')).toBe(false);
      await expect(p.get(license.licenseId)).resolves.toMatchObject({ expiresAt: null });
    } finally {
      await perpetualTo.stop();
    }
  });

  it('fails final NOT_FOUND for an unknown license', async () => {
    const error = await providerError(provider.extendTo('lic_nope', '2030-01-01T00:00:00.000Z'));
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });
});

describe('changePlan', () => {
  async function licenseWithDomains(purchaseRef: string, domains: string[]) {
    const license = await provider.create({ purchaseRef, planId: 'plan_starter' });
    for (const domain of domains) await sdk.addDomain(license.licenseId, domain);
    return license;
  }

  it('changes the plan in place when TO honours PATCH {planId}', async () => {
    const old = await licenseWithDomains('sub_p1', ['a.example']);

    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p1');

    expect(result.reissued).toBe(false);
    expect(result.license).toMatchObject({ licenseId: old.licenseId, licenseKey: old.licenseKey, planId: 'plan_pro', domains: ['a.example'] });
    expect(activeLicensesOf('sub_p1')).toHaveLength(1);
  });

  it('re-issues when TO ignores the plan: new key, domains moved, old revoked', async () => {
    fake.setHonourPlanPatch(false);
    const old = await licenseWithDomains('sub_p2', ['a.example', 'b.example']);

    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p2');

    expect(result.reissued).toBe(true);
    expect(result.license.licenseId).not.toBe(old.licenseId);
    expect(result.license.licenseKey).not.toBe(old.licenseKey);
    expect(result.license).toMatchObject({ planId: 'plan_pro', status: 'active', domains: ['a.example', 'b.example'], purchaseRef: 'sub_p2' });
    expect(fake.licenses().find((l) => l.license_id === old.licenseId)?.status).toBe('revoked');
    expect(activeLicensesOf('sub_p2').map((l) => l.license_id)).toEqual([result.license.licenseId]);
    await expect(sdk.validateLicense(result.license.licenseKey, 'b.example')).resolves.toMatchObject({ valid: true, plan: 'plan_pro' });
    await expect(sdk.validateLicense(old.licenseKey, 'b.example')).resolves.toMatchObject({ valid: false });
  });

  it('a re-issue keeps the old license’s suspension and paid-for expiry', async () => {
    fake.setHonourPlanPatch(false);
    const old = await licenseWithDomains('sub_p3', []);
    const paidUntil = new Date(T0 + 200 * DAY_MS).toISOString();
    await provider.extendTo(old.licenseId, paidUntil);
    await provider.suspend(old.licenseId);

    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p3');

    expect(result.reissued).toBe(true);
    expect(result.license).toMatchObject({ status: 'suspended', expiresAt: paidUntil, planId: 'plan_pro' });
  });

  it('re-issues when TO rejects PATCH {planId} with a 400', async () => {
    const old = await licenseWithDomains('sub_p4', ['a.example']);
    fake.injectFault({ method: 'PATCH', kind: '4xx' });

    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p4');

    expect(result.reissued).toBe(true);
    expect(activeLicensesOf('sub_p4').map((l) => l.license_id)).toEqual([result.license.licenseId]);
  });

  it('a re-issue interrupted before the old license is revoked is finished by a second call, leaving one active license', async () => {
    fake.setHonourPlanPatch(false);
    const old = await licenseWithDomains('sub_p5', ['a.example', 'b.example']);
    fake.injectFault({ method: 'DELETE', path: `/portal/licenses/${old.licenseId}`, kind: '5xx' });

    await expect(provider.changePlan(old.licenseId, 'plan_pro', 'sub_p5')).rejects.toMatchObject({ retryable: true });
    expect(activeLicensesOf('sub_p5')).toHaveLength(2); // half done: replacement exists, old still active

    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p5');

    expect(result.reissued).toBe(true);
    expect(activeLicensesOf('sub_p5').map((l) => l.license_id)).toEqual([result.license.licenseId]);
    expect(result.license.domains).toEqual(['a.example', 'b.example']);
    expect(fake.licenses().filter((l) => l.app_name === 'sub_p5')).toHaveLength(2); // no third license
  });

  it('a re-issue whose create answer was lost adopts that license on the second call instead of creating another', async () => {
    fake.setHonourPlanPatch(false);
    const old = await licenseWithDomains('sub_p6', ['a.example']);
    fake.injectFault({ method: 'POST', path: /^\/portal\/licenses$/, kind: 'lost_response' });

    await expect(quickProvider.changePlan(old.licenseId, 'plan_pro', 'sub_p6')).rejects.toMatchObject({ code: 'TIMEOUT' });
    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p6');

    expect(result).toMatchObject({ reissued: true, license: { planId: 'plan_pro', domains: ['a.example'] } });
    expect(fake.licenses().filter((l) => l.app_name === 'sub_p6')).toHaveLength(2);
    expect(activeLicensesOf('sub_p6').map((l) => l.license_id)).toEqual([result.license.licenseId]);
  });

  it('a re-issue whose revoke answer was lost returns the replacement on the second call', async () => {
    fake.setHonourPlanPatch(false);
    const old = await licenseWithDomains('sub_p7', []);
    fake.injectFault({ method: 'DELETE', path: `/portal/licenses/${old.licenseId}`, kind: 'lost_response', lostResponse: 'reset' });

    await expect(quickProvider.changePlan(old.licenseId, 'plan_pro', 'sub_p7')).rejects.toMatchObject({ code: 'NETWORK' });
    const result = await provider.changePlan(old.licenseId, 'plan_pro', 'sub_p7');

    expect(result.reissued).toBe(true);
    expect(activeLicensesOf('sub_p7').map((l) => l.license_id)).toEqual([result.license.licenseId]);
  });

  it('fails final NOT_FOUND when the license is gone and nothing replaced it', async () => {
    const error = await providerError(provider.changePlan('lic_nope', 'plan_pro', 'sub_none'));
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });
});

describe('setDomainLimit', () => {
  it('removes the newest domains beyond the limit and reports them', async () => {
    const license = await provider.create({ purchaseRef: 'sub_d', planId: 'plan_pro' });
    for (const domain of ['a.example', 'b.example', 'c.example', 'd.example']) await sdk.addDomain(license.licenseId, domain);

    await expect(provider.setDomainLimit(license.licenseId, 2)).resolves.toEqual({ removed: ['c.example', 'd.example'] });
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ domains: ['a.example', 'b.example'] });

    await expect(provider.setDomainLimit(license.licenseId, 5)).resolves.toEqual({ removed: [] });
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ domains: ['a.example', 'b.example'] });
  });
});

describe('the fake TO itself (also the built-in TO of `npm start`)', () => {
  it('answers health without a key, 401s management calls without one, and 404s unknown routes', async () => {
    const anonymous = new TO.TrafficOrchestrator({ apiUrl: fake.url, retries: 0 });

    await expect(anonymous.healthCheck()).resolves.toEqual({ status: 'ok', version: 'fake' });
    await expect(anonymous.listLicenses()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    await expect(sdk.getUsage()).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('validates keys against status, domains and its clock', async () => {
    const license = await provider.create({ purchaseRef: 'sub_v', planId: 'plan_pro' });
    await sdk.addDomain(license.licenseId, 'app.example');

    await expect(sdk.validateLicense(license.licenseKey, 'app.example')).resolves.toMatchObject({ valid: true, domains: ['app.example'] });
    await expect(sdk.validateLicense(license.licenseKey, 'other.example')).resolves.toMatchObject({ valid: false });
    nowMs = T0 + 31 * DAY_MS;
    await expect(sdk.validateLicense(license.licenseKey, 'app.example')).resolves.toMatchObject({ valid: false, message: 'License expired' });
  });

  it('batch suspend/activate report per license, and unknown ids fail without failing the rest', async () => {
    const license = await provider.create({ purchaseRef: 'sub_b', planId: 'plan_pro' });

    await expect(sdk.batchLicenseOperation('suspend', [license.licenseId, 'lic_nope'])).resolves.toMatchObject({ processed: 2, succeeded: 1, failed: 1 });
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ status: 'suspended' });
    await expect(sdk.batchLicenseOperation('activate', [license.licenseId])).resolves.toMatchObject({ succeeded: 1, failed: 0 });
    await expect(provider.get(license.licenseId)).resolves.toMatchObject({ status: 'active' });
  });

  it('a fault with times: 2 hits exactly two matching requests', async () => {
    fake.injectFault({ method: 'GET', path: '/portal/licenses', kind: '5xx', times: 2 });

    await expect(provider.findByPurchaseRef('x')).rejects.toMatchObject({ status: 500 });
    await expect(provider.findByPurchaseRef('x')).rejects.toMatchObject({ status: 500 });
    await expect(provider.findByPurchaseRef('x')).resolves.toEqual([]);
  });
});
