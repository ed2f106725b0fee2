/**
 * A local stand-in for the one Stripe API call this product makes: `GET /v1/events` (the Events
 * API reconciliation reads), driven through the real `stripe` library (host/port/protocol).
 * It speaks the real protocol: Bearer API key, `types[n]`, `created[gte|gt|lte|lt]`, `limit`
 * (1–100, default 10), `starting_after` pagination, newest first, `{object:'list', data, has_more}`,
 * and Stripe's error shape. Faults: the next N requests answer a 5xx.
 *
 * Events are added as the JSON objects Stripe would store (the same objects tests post as webhooks).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An event object as Stripe stores it; the fake filters on these fields and returns the whole object. */
export interface StoredStripeEvent {
  id: string;
  type: string;
  created: number;
}

export interface FakeStripeApiOptions {
  /** The API key the fake accepts (any other gets 401, as Stripe answers a wrong key). */
  apiKey: string;
  port?: number;
  host?: string;
}

export interface FakeStripeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeStripeApi {
  /** Base URL for the stripe library, e.g. http://127.0.0.1:40123 */
  url: string;
  addEvents(...events: StoredStripeEvent[]): void;
  /** The next `count` requests answer `status` (default 500) with Stripe's api_error shape. */
  failNext(count: number, status?: number): void;
  requests(): FakeStripeRequest[];
  stop(): Promise<void>;
}

const MAX_LIMIT = 100;

export async function startFakeStripeApi(options: FakeStripeApiOptions): Promise<FakeStripeApi> {
  const events: StoredStripeEvent[] = [];
  const recorded: FakeStripeRequest[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const sockets = new Set<Socket>();

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': `req_fake_${recorded.length}` });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, type: string, message: string, param?: string): void =>
    send(res, status, { error: { type, message, ...(param ? { param } : {}) } });

  const listEvents = (res: ServerResponse, query: Record<string, string>): void => {
    const types = Object.entries(query).filter(([key]) => /^types\[\d+\]$/.test(key)).map(([, value]) => value);
    if (query.type) types.push(query.type);
    const bound = (name: string): number | undefined => {
      const raw = query[`created[${name}]`];
      return raw === undefined ? undefined : Number(raw);
    };
    const limit = query.limit === undefined ? 10 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      error(res, 400, 'invalid_request_error', `Invalid limit: must be an integer between 1 and ${MAX_LIMIT}.`, 'limit');
      return;
    }
    const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
    const matching = events
      .filter((event) => types.length === 0 || types.includes(event.type))
      .filter((event) => (gte === undefined || event.created >= gte) && (gt === undefined || event.created > gt)
        && (lte === undefined || event.created <= lte) && (lt === undefined || event.created < lt))
      // Newest first; ids break ties so pages are stable.
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    let start = 0;
    if (query.starting_after) {
      const index = matching.findIndex((event) => event.id === query.starting_after);
      if (index < 0) {
        error(res, 400, 'invalid_request_error', `No such event: '${query.starting_after}'`, 'starting_after');
        return;
      }
      start = index + 1;
    }
    const page = matching.slice(start, start + limit);
    send(res, 200, { object: 'list', url: '/v1/events', has_more: start + limit < matching.length, data: page });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fake-stripe');
    const query = Object.fromEntries(url.searchParams.entries());
    recorded.push({ method: req.method ?? 'GET', path: url.pathname, query });
    req.resume();

    if (failures.count > 0) {
      failures.count -= 1;
      error(res, failures.status, 'api_error', 'An unexpected error occurred (injected by the fake).');
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      error(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/events') {
      listEvents(res, query);
      return;
    }
    error(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}).`);
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    addEvents: (...added) => { events.push(...added); },
    failNext: (count, status = 500) => { failures = { count, status }; },
    requests: () => [...recorded],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
