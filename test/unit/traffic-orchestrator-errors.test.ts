/**
 * The error mapping on its own, with the SDK's real error class and the shapes fetch/undici and the
 * SDK actually throw (checked against Node 20): the integration suite covers the same paths over
 * HTTP; this pins the cases a fake server cannot easily produce and the redaction of keys.
 */
import TO = require('@traffic-orchestrator/client');
import { redactLicenseKeys, toLicenseProviderError } from '../../lambdas/adapters/traffic-orchestrator-license-provider';
import { LicenseProviderError } from '../../lambdas/ports/license-provider';

const KEY = 'LK-1A2B-3C4D-5E6F';

function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1234`), { code }) });
}

describe('toLicenseProviderError', () => {
  it.each([
    ['429', new TO.TrafficOrchestratorError('Slow down', 'TOO_MANY', 429), { retryable: true, code: 'RATE_LIMITED', status: 429 }],
    ['500 with code', new TO.TrafficOrchestratorError('Boom', 'INTERNAL_ERROR', 500), { retryable: true, code: 'INTERNAL_ERROR', status: 500 }],
    ['503 without code', new TO.TrafficOrchestratorError('HTTP 503', undefined as unknown as string, 503), { retryable: true, code: 'HTTP_503', status: 503 }],
    ['400', new TO.TrafficOrchestratorError('appName is required', 'VALIDATION_ERROR', 400), { retryable: false, code: 'VALIDATION_ERROR', status: 400 }],
    ['401', new TO.TrafficOrchestratorError('Invalid API key', 'UNAUTHORIZED', 401), { retryable: false, code: 'UNAUTHORIZED', status: 401 }],
    ['404', new TO.TrafficOrchestratorError('License not found', 'NOT_FOUND', 404), { retryable: false, code: 'NOT_FOUND', status: 404 }],
    ['abort (fetch)', new DOMException('This operation was aborted', 'AbortError'), { retryable: true, code: 'TIMEOUT', outcomeUnknown: true }],
    ['abort re-wrapped by the SDK', new Error('AbortError: This operation was aborted'), { retryable: true, code: 'TIMEOUT', outcomeUnknown: true }],
    ['connection refused', networkError('ECONNREFUSED'), { retryable: true, code: 'NETWORK', outcomeUnknown: true }],
    ['connection reset', networkError('ECONNRESET'), { retryable: true, code: 'NETWORK', outcomeUnknown: true }],
    ['socket closed (undici)', networkError('UND_ERR_SOCKET'), { retryable: true, code: 'NETWORK', outcomeUnknown: true }],
    ['fetch failed re-wrapped by the SDK', new Error('TypeError: fetch failed'), { retryable: true, code: 'NETWORK', outcomeUnknown: true }],
    ['non-JSON body', new SyntaxError(`Unexpected token '<', "<html>${KEY}" is not valid JSON`), { retryable: true, code: 'INVALID_RESPONSE', outcomeUnknown: false }],
    ['something else', new RangeError('bug'), { retryable: true, code: 'UNEXPECTED', outcomeUnknown: false }],
  ])('%s', (_label, thrown, expected) => {
    const mapped = toLicenseProviderError('create', thrown);

    expect(mapped).toBeInstanceOf(LicenseProviderError);
    expect(mapped).toMatchObject(expected);
    expect(mapped.message).toMatch(/^Traffic Orchestrator create /);
  });

  it('does not treat an ordinary TypeError (a bug) as a network failure', () => {
    expect(toLicenseProviderError('get', new TypeError("Cannot read properties of undefined (reading 'x')")).code).toBe('UNEXPECTED');
  });

  it('passes a LicenseProviderError through unchanged', () => {
    const original = new LicenseProviderError('x', false, 'NOT_FOUND', 404);
    expect(toLicenseProviderError('get', original)).toBe(original);
  });

  it('never copies a license key from TO’s message or from a response body into its own message', () => {
    const fromVendor = toLicenseProviderError('create', new TO.TrafficOrchestratorError(`Key ${KEY} already exists`, 'CONFLICT', 409));
    const fromBody = toLicenseProviderError('create', new SyntaxError(`Unexpected token in "${KEY}"`));
    const rewrapped = toLicenseProviderError('create', new Error(`SyntaxError: Unexpected token in "${KEY}"`));

    for (const error of [fromVendor, fromBody, rewrapped]) expect(error.message).not.toContain(KEY);
    expect(fromVendor.message).toContain('LK-[redacted] already exists');
  });
});

describe('redactLicenseKeys', () => {
  it('replaces every key-shaped token and bounds the length', () => {
    expect(redactLicenseKeys(`a ${KEY} b LK-ZZZZ-0000-1111`)).toBe('a LK-[redacted] b LK-[redacted]');
    expect(redactLicenseKeys('x'.repeat(500))).toHaveLength(200);
  });
});
