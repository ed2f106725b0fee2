/**
 * The local stand-in for API Gateway: Node's http server on PORT. `POST /webhooks/stripe` becomes
 * the REST (payload v1) proxy event the deployed ingest Lambda receives, with the body passed as
 * the exact bytes received (base64, `isBase64Encoded: true`): the Stripe signature is over those
 * bytes. The ingest handler's answer goes back unchanged.
 *
 * `GET /local/...` are read-only views for people, the demo and the tests, and
 * `POST /local/jobs/<name>` runs a scheduled job now, as its schedule would (this server listens on
 * 127.0.0.1 by default; nothing like it is deployed). Everything else is a JSON 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { IngestHandler } from '../lambdas/ingest/handler';
import { buildApiGatewayEvent, WEBHOOK_PATH } from '../test/support/api-gateway-events';
import { ListNeedsPurchaseError } from './local-traffic-orchestrator';

export { WEBHOOK_PATH };

/** What the /local views read; built by the pipeline once everything is running. */
export interface LocalViews {
  status(): Promise<unknown>;
  licenses(purchase: string | undefined): Promise<unknown>;
  /** null when the ledger does not know the purchase. */
  purchase(purchaseId: string): Promise<unknown | null>;
  event(eventId: string): Promise<unknown>;
  outbox(purchase: string | undefined): Promise<unknown>;
  /** Runs the named scheduled job now and returns its report; null when there is no such job. */
  runJob(name: string): Promise<unknown | null>;
}

export interface LocalApp {
  ingest: IngestHandler;
  views: LocalViews;
  /** Bodies larger than this are refused by the ingest handler (413); reading stops just past it. */
  maxBodyBytes: number;
}

export interface LocalHttpServer {
  server: Server;
  /** Until this is called, every request gets 503 (the pipeline is still starting). */
  setApp(app: LocalApp): void;
}

export function createLocalHttpServer(onError: (error: unknown) => void): LocalHttpServer {
  let app: LocalApp | undefined;
  const server = createServer((req, res) => {
    handle(app, req, res).catch((error) => {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  return { server, setApp: (value) => { app = value; } };
}

async function handle(app: LocalApp | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!app) {
    req.resume();
    sendJson(res, 503, { error: 'starting, try again in a moment' }, { 'Retry-After': '1' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://local');
  const method = (req.method ?? 'GET').toUpperCase();

  if (url.pathname === WEBHOOK_PATH) {
    const body = await readBody(req, app.maxBodyBytes + 1);
    const result = await app.ingest(buildApiGatewayEvent({
      method,
      path: WEBHOOK_PATH,
      headers: flattenHeaders(req),
      body: body.toString('base64'),
      isBase64Encoded: true,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    }));
    sendResult(res, result);
    // A body cut off at the limit: the rest is not read, so the connection cannot be reused.
    if (!req.complete) res.once('finish', () => req.destroy());
    return;
  }

  if (url.pathname.startsWith('/local/')) {
    req.resume();
    const [, , view, id, extra] = url.pathname.split('/').map(decodeURIComponent);
    const allowed = view === 'jobs' ? 'POST' : 'GET';
    if (method !== allowed) {
      sendJson(res, 405, { error: 'method not allowed' }, { Allow: allowed });
      return;
    }
    if (view === 'jobs' && id && extra === undefined) {
      const report = await app.views.runJob(id);
      return report === null ? sendJson(res, 404, { error: `no scheduled job ${id}` }) : sendJson(res, 200, report);
    }
    const purchase = url.searchParams.get('purchase') ?? undefined;
    if (extra === undefined) {
      if (view === 'status' && id === undefined) return sendJson(res, 200, await app.views.status());
      if (view === 'outbox' && id === undefined) return sendJson(res, 200, await app.views.outbox(purchase));
      if (view === 'licenses' && id === undefined) {
        try {
          return sendJson(res, 200, await app.views.licenses(purchase));
        } catch (error) {
          if (error instanceof ListNeedsPurchaseError) return sendJson(res, 400, { error: error.message });
          throw error;
        }
      }
      if (view === 'purchases' && id) {
        const found = await app.views.purchase(id);
        return found === null ? sendJson(res, 404, { error: `no purchase ${id} in the ledger` }) : sendJson(res, 200, found);
      }
      if (view === 'events' && id) return sendJson(res, 200, await app.views.event(id));
    }
  }

  req.resume();
  sendJson(res, 404, {
    error: 'not found',
    routes: [`POST ${WEBHOOK_PATH}`, 'GET /local/status', 'GET /local/licenses[?purchase=…]', 'GET /local/purchases/:purchaseId', 'GET /local/events/:eventId', 'GET /local/outbox[?purchase=…]', 'POST /local/jobs/:name'],
  });
}

/** Reads at most `limit` bytes, untouched. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        req.off('data', onData);
        req.pause();
        resolve(Buffer.concat(chunks).subarray(0, limit));
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function sendResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  res.writeHead(result.statusCode, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
