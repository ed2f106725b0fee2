/**
 * A local stand-in for the Traffic Orchestrator (TO) API: the real paths the
 * `@traffic-orchestrator/client` SDK calls, with in-memory state, switchable latency and fault
 * injection. Integration tests drive it through the real SDK over HTTP, and `npm start` uses it as
 * the built-in TO when no `TO_API_KEY` is set, so it has no dependencies and logs nothing.
 *
 * Base URL: `http://127.0.0.1:<port>/api/v1` (pass it as the SDK's `apiUrl`). Paths in `requests()`
 * and in fault rules are relative to that base, exactly as the SDK names them (`/portal/licenses`).
 *
 * Deliberate simplifications (what we know of the real API, kept thin):
 * - A new license expires `licenseDurationDays` (default 30) after creation; with
 *   `licenseDurationDays: null` it never expires (`expires_at: null`). TO has no notion of our
 *   perpetual plans, so nothing else decides this.
 * - Batch `extend` adds `days` to the current `expires_at` (not to "now", even when already expired);
 *   a license with `expires_at: null` stays perpetual and the item still counts as succeeded.
 * - PATCH applies `status`, and `planId` only while `honourPlanPatch` is on (default). Any other
 *   field, or `planId` when not honoured, is ignored and the answer is still 200, like a thin API
 *   that does not validate unknown fields. This is what forces the adapter's re-issue path.
 * - DELETE revokes: the license disappears from the API (GET/PATCH/DELETE → 404, not listed,
 *   validation fails) but stays in the `licenses()` snapshot with status `revoked`, so tests can
 *   see what happened to it.
 * - `/health` and `/validate` need no API key (end-user apps validate keys without one).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAKE_TO_BASE_PATH = '/api/v1';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface FakeLicense {
  license_id: string;
  /** Secret in real life; the fake hands it out freely because tests assert on it. */
  license_key: string;
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  plan_id: string;
  domains: string[];
  created_at: string;
  expires_at: string | null;
  app_name: string;
}

export type FaultKind =
  /** Answers 5xx (default 500 INTERNAL_ERROR) without doing the work. */
  | '5xx'
  /** Answers 429 RATE_LIMITED without doing the work. */
  | '429'
  /** Answers 4xx (default 400 VALIDATION_ERROR) without doing the work. */
  | '4xx'
  /** Answers with a non-JSON (HTML) body, default status 502, like a proxy error page; no work done. */
  | 'non_json'
  /** Never answers (until the client gives up or the server stops) and does not do the work. */
  | 'timeout'
  /**
   * Does the work (e.g. creates the license) and then the answer is lost: by default it never
   * answers (the client times out); with `lostResponse: 'reset'` it destroys the socket at once
   * (the client sees a network error).
   */
  | 'lost_response';

export interface FaultRule {
  method?: string;
  /** A string is a prefix of the path relative to the base (`/portal/licenses`); a RegExp is tested against it. */
  path?: string | RegExp;
  kind: FaultKind;
  /** How many matching requests it hits; default 1. `Infinity` keeps it on until `clearFaults()`/`reset()`. */
  times?: number;
  /** Overrides the HTTP status for '5xx', '4xx' and 'non_json'. */
  status?: number;
  /** Overrides the error `code` for '5xx', '4xx' and '429'. */
  code?: string;
  /** For 'lost_response': 'hang' (default) or 'reset'. */
  lostResponse?: 'hang' | 'reset';
}

export interface FakeTrafficOrchestratorOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, management paths require `Authorization: Bearer <apiKey>`; other keys get 401. */
  apiKey?: string;
  /** Whether PATCH `{planId}` changes the plan; default true. */
  honourPlanPatch?: boolean;
  /** Lifetime of a new license; default 30 days; null = never expires. */
  licenseDurationDays?: number | null;
  /** Plan of a license created without `planId`; default `plan_default`. */
  defaultPlanId?: string;
  /** Delay before every answer; default 0. */
  latencyMs?: number;
  /** Clock for created_at/expires_at and validation; default the system clock. */
  now?: () => Date;
  /** Licenses to start with, e.g. a `licenses()` snapshot saved by an earlier run (revoked ones stay revoked). */
  initialLicenses?: readonly FakeLicense[];
}

export interface RecordedRequest {
  method: string;
  /** Relative to the base path, without the query string. */
  path: string;
}

export interface FakeTrafficOrchestrator {
  /** The SDK's `apiUrl`: `http://127.0.0.1:<port>/api/v1`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** A deep copy of every license ever created (revoked ones included, with status `revoked`), oldest first. */
  licenses(): FakeLicense[];
  /** Clears licenses, faults and the request log; restores latency and `honourPlanPatch` to their start values. */
  reset(): void;
  setLatency(ms: number): void;
  setHonourPlanPatch(honour: boolean): void;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Every request received (method + path), in arrival order. */
  requests(): RecordedRequest[];
}

interface Reply {
  status: number;
  body: unknown;
}

class HttpProblem extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const notFound = (what = 'License'): HttpProblem => new HttpProblem(404, 'NOT_FOUND', `${what} not found`);
const invalid = (message: string): HttpProblem => new HttpProblem(400, 'VALIDATION_ERROR', message);

function randomKeyGroup(): string {
  return randomBytes(2).toString('hex').toUpperCase();
}

/** The API behind the HTTP layer: pure state transitions, no sockets. */
class LicenseStore {
  private readonly byId = new Map<string, FakeLicense>();

  constructor(
    private readonly settings: {
      now: () => Date;
      licenseDurationDays: number | null;
      defaultPlanId: string;
      honourPlanPatch: () => boolean;
    },
  ) {}

  clear(): void {
    this.byId.clear();
  }

  restore(licenses: readonly FakeLicense[]): void {
    for (const license of licenses) this.byId.set(license.license_id, { ...license, domains: [...license.domains] });
  }

  snapshot(): FakeLicense[] {
    return [...this.byId.values()].map((license) => ({ ...license, domains: [...license.domains] }));
  }

  private live(id: string): FakeLicense {
    const license = this.byId.get(id);
    if (!license || license.status === 'revoked') throw notFound();
    return license;
  }

  create(body: Record<string, unknown>): FakeLicense {
    const { appName, domain, planId } = body;
    if (typeof appName !== 'string' || appName.trim() === '') throw invalid('appName is required');
    if (domain !== undefined && (typeof domain !== 'string' || domain.trim() === '')) throw invalid('domain must be a non-empty string');
    if (planId !== undefined && (typeof planId !== 'string' || planId.trim() === '')) throw invalid('planId must be a non-empty string');
    const created = this.settings.now();
    const days = this.settings.licenseDurationDays;
    const license: FakeLicense = {
      license_id: `lic_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      license_key: `LK-${randomKeyGroup()}-${randomKeyGroup()}-${randomKeyGroup()}`,
      status: 'active',
      plan_id: planId ?? this.settings.defaultPlanId,
      domains: domain ? [domain] : [],
      created_at: created.toISOString(),
      expires_at: days === null ? null : new Date(created.getTime() + days * DAY_MS).toISOString(),
      app_name: appName,
    };
    this.byId.set(license.license_id, license);
    return { ...license, domains: [...license.domains] };
  }

  list(): FakeLicense[] {
    return this.snapshot().filter((license) => license.status !== 'revoked');
  }

  get(id: string): FakeLicense {
    const license = this.live(id);
    return { ...license, domains: [...license.domains] };
  }

  patch(id: string, body: Record<string, unknown>): { success: true } {
    const license = this.live(id);
    if (body.status !== undefined && body.status !== 'active' && body.status !== 'suspended') {
      throw invalid('status must be "active" or "suspended"');
    }
    if (this.settings.honourPlanPatch() && body.planId !== undefined) {
      if (typeof body.planId !== 'string' || body.planId.trim() === '') throw invalid('planId must be a non-empty string');
      license.plan_id = body.planId;
    }
    if (body.status !== undefined) license.status = body.status;
    return { success: true };
  }

  revoke(id: string): { success: true } {
    this.live(id).status = 'revoked';
    return { success: true };
  }

  batch(body: Record<string, unknown>): {
    action: string;
    processed: number;
    succeeded: number;
    failed: number;
    results: Array<{ licenseId: string; success: boolean; error?: string }>;
  } {
    const { action, licenseIds, days } = body;
    if (action !== 'extend' && action !== 'suspend' && action !== 'activate') {
      throw invalid('action must be one of extend, suspend, activate');
    }
    if (!Array.isArray(licenseIds) || licenseIds.length === 0 || !licenseIds.every((id) => typeof id === 'string')) {
      throw invalid('licenseIds must be a non-empty list of license ids');
    }
    if (action === 'extend' && !(typeof days === 'number' && Number.isInteger(days) && days > 0)) {
      throw invalid('days must be a positive integer for extend');
    }
    const results = (licenseIds as string[]).map((licenseId) => {
      const license = this.byId.get(licenseId);
      if (!license || license.status === 'revoked') return { licenseId, success: false, error: 'License not found' };
      if (action === 'extend') {
        // Perpetual stays perpetual: there is no end to move.
        if (license.expires_at !== null) {
          license.expires_at = new Date(Date.parse(license.expires_at) + (days as number) * DAY_MS).toISOString();
        }
      } else {
        license.status = action === 'suspend' ? 'suspended' : 'active';
      }
      return { licenseId, success: true };
    });
    const succeeded = results.filter((r) => r.success).length;
    return { action, processed: results.length, succeeded, failed: results.length - succeeded, results };
  }

  addDomain(id: string, body: Record<string, unknown>): { success: true } {
    const license = this.live(id);
    const domain = body.domain;
    if (typeof domain !== 'string' || domain.trim() === '') throw invalid('domain is required');
    if (license.domains.includes(domain)) throw new HttpProblem(409, 'DOMAIN_EXISTS', 'Domain already added');
    license.domains.push(domain);
    return { success: true };
  }

  removeDomain(id: string, body: Record<string, unknown>): { success: true } {
    const license = this.live(id);
    const domain = body.domain;
    if (typeof domain !== 'string' || domain.trim() === '') throw invalid('domain is required');
    if (!license.domains.includes(domain)) throw notFound('Domain');
    license.domains = license.domains.filter((d) => d !== domain);
    return { success: true };
  }

  validate(body: Record<string, unknown>): {
    valid: boolean;
    plan?: string;
    domains?: string[];
    expiresAt?: string;
    message: string;
  } {
    const { token, domain } = body;
    if (typeof token !== 'string' || token === '') throw invalid('token is required');
    const license = [...this.byId.values()].find((l) => l.license_key === token);
    if (!license || license.status === 'revoked') return { valid: false, message: 'License not found' };
    const details = {
      plan: license.plan_id,
      domains: [...license.domains],
      ...(license.expires_at ? { expiresAt: license.expires_at } : {}),
    };
    if (license.status !== 'active') return { valid: false, ...details, message: `License is ${license.status}` };
    if (license.expires_at !== null && Date.parse(license.expires_at) <= this.settings.now().getTime()) {
      return { valid: false, ...details, message: 'License expired' };
    }
    if (typeof domain === 'string' && domain !== '' && !license.domains.includes(domain)) {
      return { valid: false, ...details, message: 'Domain not authorized' };
    }
    return { valid: true, ...details, message: 'License is valid' };
  }
}

type Route = (store: LicenseStore, body: Record<string, unknown>, params: string[]) => Reply;

const ROUTES: Array<{ method: string; pattern: RegExp; auth: boolean; handle: Route }> = [
  { method: 'GET', pattern: /^\/health$/, auth: false, handle: () => ({ status: 200, body: { status: 'ok', version: 'fake' } }) },
  { method: 'POST', pattern: /^\/validate$/, auth: false, handle: (s, b) => ({ status: 200, body: s.validate(b) }) },
  { method: 'GET', pattern: /^\/portal\/licenses$/, auth: true, handle: (s) => ({ status: 200, body: { licenses: s.list() } }) },
  { method: 'POST', pattern: /^\/portal\/licenses$/, auth: true, handle: (s, b) => ({ status: 201, body: s.create(b) }) },
  { method: 'POST', pattern: /^\/portal\/licenses\/batch$/, auth: true, handle: (s, b) => ({ status: 200, body: s.batch(b) }) },
  { method: 'GET', pattern: /^\/portal\/licenses\/([^/]+)$/, auth: true, handle: (s, _b, [id]) => ({ status: 200, body: s.get(id) }) },
  { method: 'PATCH', pattern: /^\/portal\/licenses\/([^/]+)$/, auth: true, handle: (s, b, [id]) => ({ status: 200, body: s.patch(id, b) }) },
  { method: 'DELETE', pattern: /^\/portal\/licenses\/([^/]+)$/, auth: true, handle: (s, _b, [id]) => ({ status: 200, body: s.revoke(id) }) },
  { method: 'POST', pattern: /^\/portal\/licenses\/([^/]+)\/domains$/, auth: true, handle: (s, b, [id]) => ({ status: 200, body: s.addDomain(id, b) }) },
  { method: 'DELETE', pattern: /^\/portal\/licenses\/([^/]+)\/domains$/, auth: true, handle: (s, b, [id]) => ({ status: 200, body: s.removeDomain(id, b) }) },
];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonObject(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('Body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function matchesFault(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path);
}

function faultReply(rule: FaultRule): Reply {
  switch (rule.kind) {
    case '5xx':
      return { status: rule.status ?? 500, body: { error: 'Injected server error', code: rule.code ?? 'INTERNAL_ERROR' } };
    case '429':
      return { status: 429, body: { error: 'Too many requests', code: rule.code ?? 'RATE_LIMITED' } };
    case '4xx':
      return { status: rule.status ?? 400, body: { error: 'Injected client error', code: rule.code ?? 'VALIDATION_ERROR' } };
    default:
      throw new Error(`no canned reply for fault ${rule.kind}`);
  }
}

export async function startFakeTrafficOrchestrator(options: FakeTrafficOrchestratorOptions = {}): Promise<FakeTrafficOrchestrator> {
  const initialHonour = options.honourPlanPatch ?? true;
  let honourPlanPatch = initialHonour;
  const initialLatencyMs = options.latencyMs ?? 0;
  let latencyMs = initialLatencyMs;
  let faults: Array<FaultRule & { remaining: number }> = [];
  let log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const store = new LicenseStore({
    now: options.now ?? (() => new Date()),
    licenseDurationDays: options.licenseDurationDays === undefined ? 30 : options.licenseDurationDays,
    defaultPlanId: options.defaultPlanId ?? 'plan_default',
    honourPlanPatch: () => honourPlanPatch,
  });
  store.restore(options.initialLicenses ?? []);

  const delay = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
        });

  const send = (res: ServerResponse, reply: Reply): void => {
    if (res.destroyed || res.writableEnded) return;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };

  const takeFault = (method: string, path: string): FaultRule | undefined => {
    const rule = faults.find((f) => f.remaining > 0 && matchesFault(f, method, path));
    if (!rule) return undefined;
    rule.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return rule;
  };

  /** Runs the route; API errors become their JSON answer. */
  const route = (method: string, path: string, rawBody: string, authorization: string | undefined): Reply => {
    try {
      for (const r of ROUTES) {
        const match = r.method === method ? r.pattern.exec(path) : null;
        if (!match) continue;
        if (r.auth && options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
          throw new HttpProblem(401, 'UNAUTHORIZED', 'Invalid or missing API key');
        }
        return r.handle(store, parseJsonObject(rawBody), match.slice(1).map(decodeURIComponent));
      }
      throw notFound('Route');
    } catch (error) {
      if (error instanceof HttpProblem) return { status: error.status, body: { error: error.message, code: error.code } };
      return { status: 500, body: { error: 'Internal error', code: 'INTERNAL_ERROR' } };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const fullPath = new URL(req.url ?? '/', 'http://fake').pathname;
    const rawBody = await readBody(req);
    if (!fullPath.startsWith(`${FAKE_TO_BASE_PATH}/`)) {
      send(res, { status: 404, body: { error: 'Route not found', code: 'NOT_FOUND' } });
      return;
    }
    const path = fullPath.slice(FAKE_TO_BASE_PATH.length);
    log.push({ method, path });

    await delay(latencyMs);
    if (stopping) return;

    const fault = takeFault(method, path);
    if (!fault) {
      send(res, route(method, path, rawBody, req.headers.authorization));
      return;
    }
    switch (fault.kind) {
      case 'timeout':
        // Hold the request open without doing the work; the client's abort or stop() ends it.
        return;
      case 'lost_response':
        route(method, path, rawBody, req.headers.authorization);
        if (fault.lostResponse === 'reset') req.socket.destroy();
        return;
      case 'non_json': {
        const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
        res.writeHead(fault.status ?? 502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      default:
        send(res, faultReply(fault));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, body: { error: 'Internal error', code: 'INTERNAL_ERROR' } });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}${FAKE_TO_BASE_PATH}`,
    port,
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive and held ("timeout" fault) connections would otherwise keep the process alive.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    licenses: () => store.snapshot(),
    reset() {
      store.clear();
      faults = [];
      log = [];
      latencyMs = initialLatencyMs;
      honourPlanPatch = initialHonour;
    },
    setLatency(ms: number) {
      latencyMs = Math.max(0, ms);
    },
    setHonourPlanPatch(honour: boolean) {
      honourPlanPatch = honour;
    },
    injectFault(rule: FaultRule) {
      faults.push({ ...rule, remaining: rule.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    requests: () => log.map((r) => ({ ...r })),
  };
}
