/**
 * `npm start` as the README tells a person to run it: a child process with its configuration in
 * the environment (a free port, a temporary data folder, a webhook secret), driven only from the
 * outside, over HTTP, with real Stripe signatures. What it did is read where a person would look:
 * the built-in Traffic Orchestrator's own API (URL and key from the banner) and the e-mail folder.
 * The second test stops it with Ctrl-C's SIGINT between events and shows that the ledger, the
 * licenses and the queued messages (the queue and the DLQ) survived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readOutbox } from '../../lambdas/adapters/file-notifier';
import { LocalPipelineClient } from '../../local/local-client';
import { LocalConfigError, readLocalOptions } from '../../local/local-config';
import { startFakeStripeApi } from '../support/fake-stripe-api';
import type { FakeLicense } from '../support/fake-traffic-orchestrator';
import { checkoutCompleted, invoiceEvent, subscriptionEvent, type StripeEventJson } from '../support/stripe-events';

const ROOT = path.resolve(__dirname, '..', '..');
const SECRET = 'whsec_local_pipeline_test_0123456789abcdef';
const VERSION = '2026-07-29.dahlia' as const;
const DAY = 86_400;
const TEST_TIMEOUT_MS = 90_000;

interface RunningChild {
  child: ChildProcess;
  url: string;
  client: LocalPipelineClient;
  /** The built-in TO's API, as the banner prints it. */
  to: { url: string; apiKey: string };
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  startupMs: number;
}

const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-pipeline-test-'));
  dataDirs.push(dir);
  return dir;
}

/** `npm start` with the variables the README documents; resolves once it prints its ready line. */
async function startPipeline(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningChild> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    LOCAL_DATA_DIR: dataDir,
    STRIPE_WEBHOOK_SECRET: SECRET,
    // Short, so the event that waits for its checkout is retried quickly after the restart.
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: '2',
    LOG_LEVEL: 'info',
  };
  for (const name of ['TO_API_URL', 'TO_API_KEY', 'STRIPE_API_URL', 'STRIPE_API_KEY', 'EMAIL_OUTBOX_DIR', 'PLANS_FILE', 'HOST', 'FAKE_TO_PORT', 'MAX_RECEIVE_COUNT']) delete env[name];
  Object.assign(env, extraEnv);

  const startedAt = Date.now();
  // Its own process group, so SIGINT reaches npm and the pipeline together, as Ctrl-C in a terminal does.
  const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no ready line within 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = output.match(/^Ready on (http:\/\/\S+) /m);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const startupMs = Date.now() - startedAt;
  const to = output.match(/built-in fake at (http:\/\/\S+) \(API key (\S+)\)/);
  if (!to) throw new Error(`the banner does not show the built-in Traffic Orchestrator:\n${output}`);
  return {
    child,
    url: ready[1],
    client: new LocalPipelineClient(ready[1], SECRET),
    to: { url: to[1], apiKey: to[2] },
    output: () => output,
    exited,
    startupMs,
  };
}

/**
 * Ctrl-C: SIGINT to the whole process group, as a terminal sends it. npm then ends itself with the
 * same signal once its script is done (its convention: a shell shows status 130), so the clean
 * shutdown is read from the pipeline itself: its last line, and every process of the group gone.
 */
async function interrupt(running: RunningChild): Promise<void> {
  const group = -(running.child.pid as number);
  process.kill(group, 'SIGINT');
  const deadline = Date.now() + 30_000;
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([running.exited, new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), 30_000); })]);
  clearTimeout(timer);
  if (exit === null) throw new Error(`npm start did not exit within 30 s of SIGINT:\n${running.output()}`);
  expect([0, 130].includes(exit.code as number) || exit.signal === 'SIGINT').toBe(true);
  while (groupAlive(group)) {
    if (Date.now() > deadline) throw new Error(`processes of npm start still run 30 s after SIGINT:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  children.delete(running.child);
  expect(running.output()).toContain('Stopped. Queued messages, ledger and licenses are saved in the data folder.');
  expect(running.output()).not.toContain('exiting now');
}

function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

/** The licenses as the fake Traffic Orchestrator itself lists them (its real API path, with its key). */
async function licensesAtTo(running: RunningChild, purchase: string): Promise<FakeLicense[]> {
  const response = await fetch(`${running.to.url}/portal/licenses`, { headers: { Authorization: `Bearer ${running.to.apiKey}` } });
  expect(response.status).toBe(200);
  const { licenses } = (await response.json()) as { licenses: FakeLicense[] };
  return licenses.filter((license) => license.app_name === purchase);
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

async function deliverOk(running: RunningChild, event: StripeEventJson): Promise<void> {
  const answer = await running.client.deliver(event);
  expect({ type: event.type, status: answer.status, body: answer.body }).toEqual({ type: event.type, status: 200, body: { received: true } });
}

const now = () => Math.floor(Date.now() / 1000);

function checkout(purchase: { subscriptionId: string; customerId: string; email: string }, created: number): StripeEventJson {
  return checkoutCompleted(VERSION, {
    created,
    mode: 'subscription',
    subscriptionId: purchase.subscriptionId,
    customerId: purchase.customerId,
    email: purchase.email,
    name: 'Grace Hopper',
    metadata: { to_product_id: 'to_prod_example', to_license_tier: 'professional' },
  });
}

function renewal(purchase: { subscriptionId: string; customerId: string }, periodStart: number, periodEnd: number): StripeEventJson {
  return invoiceEvent(VERSION, {
    type: 'invoice.paid',
    created: periodStart + 60,
    subscriptionId: purchase.subscriptionId,
    customerId: purchase.customerId,
    billingReason: 'subscription_cycle',
    periodStart,
    periodEnd,
    priceId: 'price_pro_monthly',
    paymentIntentId: `pi_${purchase.subscriptionId}_renewal`,
  });
}

afterAll(() => {
  // Whatever happened, no pipeline outlives the tests.
  for (const child of children) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

test('npm start serves signed Stripe webhooks: the license appears at the built-in Traffic Orchestrator and its key is e-mailed to the outbox folder', async () => {
  const dataDir = newDataDir();
  const running = await startPipeline(dataDir);
  // Reported, not asserted: a busy 2-core machine would make a time limit flaky.
  console.log(`npm start was ready after ${running.startupMs} ms`);
  expect(running.output()).toContain('Stripe API features  (reconciliation): disabled');
  expect(running.output()).toContain(`grace-escalation every 60 s   (run it now: curl -X POST ${running.url}/local/jobs/grace-escalation)`);

  const purchase = { subscriptionId: 'sub_local_1', customerId: 'cus_local_1', email: 'grace@example.com' };
  const event = checkout(purchase, now());

  // Only the real route with a valid signature is accepted.
  expect((await new LocalPipelineClient(running.url, 'whsec_not_the_configured_secret').deliver(event)).status).toBe(400);
  expect((await fetch(`${running.url}/webhooks/stripe`)).status).toBe(405);
  const unknown = await fetch(`${running.url}/somewhere/else`, { method: 'POST', body: '{}' });
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toContain('application/json');

  await deliverOk(running, event);

  const [license] = await eventually(() => licensesAtTo(running, purchase.subscriptionId), (l) => l.length === 1, 'the license at TO');
  expect(license).toMatchObject({ status: 'active', plan_id: 'plan_professional', app_name: purchase.subscriptionId });

  const outboxDir = path.join(dataDir, 'outbox');
  const emails = await eventually(() => readOutbox(outboxDir), (list) => list.length >= 1, 'the license e-mail');
  expect(emails).toHaveLength(1);
  expect(emails[0]).toMatchObject({ to: purchase.email, template: 'license_delivered', purchaseId: purchase.subscriptionId });
  // The customer gets exactly the key Traffic Orchestrator issued.
  expect(emails[0].text).toContain(license.license_key);
  // …and the console shows what happened, without the key.
  // The e-mail is written before the processor logs the record as done, so wait for that line.
  const output = await eventually(async () => running.output(), (text) => /Event processed .*eventId=\S+ .*outcome=applied/.test(text), 'the "Event processed" log line');
  expect(output).not.toContain(license.license_key);

  // The grace-escalation job runs on its timer, and on demand as its schedule would run it: this
  // customer is paying, so nothing is due.
  const jobRun = await fetch(`${running.url}/local/jobs/grace-escalation`, { method: 'POST' });
  expect({ status: jobRun.status, body: await jobRun.json() }).toMatchObject({
    status: 200, body: { job: 'grace-escalation', ok: true, result: { due: 0, escalated: [], failed: [] } },
  });
  // The console gets the run's summary line (through a pipe that may lag the HTTP answer).
  await eventually(async () => running.output(), (text) => /Grace escalation run finished · tickId=grace-escalation@\S+ due=0/.test(text), 'the grace-escalation summary line');
  expect((await fetch(`${running.url}/local/jobs/nightly-cleanup`, { method: 'POST' })).status).toBe(404);
  const wrongMethod = await fetch(`${running.url}/local/jobs/grace-escalation`);
  expect({ status: wrongMethod.status, allow: wrongMethod.headers.get('allow') }).toEqual({ status: 405, allow: 'POST' });
  expect((await fetch(`${running.url}/local/status`, { method: 'POST' })).status).toBe(405);

  await interrupt(running);
}, TEST_TIMEOUT_MS);

test('state survives a restart: the ledger, the licenses, the queued event and the dead-lettered one', async () => {
  const dataDir = newDataDir();
  const first = await startPipeline(dataDir);

  const customer = { subscriptionId: 'sub_restart_1', customerId: 'cus_restart_1', email: 'ada@example.com' };
  const t0 = now();
  await deliverOk(first, checkout(customer, t0));
  const [before] = await eventually(() => licensesAtTo(first, customer.subscriptionId), (l) => l.length === 1, 'the first license');

  // An invoice whose checkout has not arrived yet: it waits in the queue, failing and retried.
  const late = { subscriptionId: 'sub_restart_2', customerId: 'cus_restart_2', email: 'alan@example.com' };
  // Its period ends past the 30 days a new license at the built-in TO runs for: the expiry shows it applied.
  const lateInvoice = renewal(late, t0, t0 + 45 * DAY);
  await deliverOk(first, lateInvoice);
  // A subscription on a price the plans config does not know: final, straight to the DLQ.
  const badPrice = subscriptionEvent(VERSION, {
    type: 'customer.subscription.created', created: t0, subscriptionId: 'sub_restart_3', customerId: 'cus_restart_3', priceId: 'price_nobody_configured', periodEnd: t0 + 30 * DAY,
  });
  await deliverOk(first, badPrice);
  expect(await first.client.waitForEvent(badPrice.id)).toMatchObject({ status: 'dead_lettered', failure: { reason: 'unknown_price' } });

  await interrupt(first);
  const saved = JSON.parse(readFileSync(path.join(dataDir, 'queues.json'), 'utf8')) as { provisioning: Array<{ body: string }>; deadLetter: Array<{ body: string }> };
  expect(saved.provisioning.map((m) => JSON.parse(m.body).id)).toEqual([lateInvoice.id]);
  expect(saved.deadLetter.map((m) => JSON.parse(m.body).id)).toEqual([badPrice.id]);
  expect(existsSync(path.join(dataDir, 'pipeline.lock'))).toBe(false);

  const second = await startPipeline(dataDir);
  expect(second.output()).toContain('restored 1 queued and 1 dead-lettered messages');
  expect((await second.client.status()).queues.deadLettered).toBe(1);

  // The renewal finds the purchase and the license of the first run: extended, not created again.
  const periodEnd = t0 + 61 * DAY;
  const renewed = renewal(customer, t0 + 30 * DAY, periodEnd);
  await deliverOk(second, renewed);
  expect(await second.client.waitForEvent(renewed.id)).toMatchObject({ status: 'processed' });
  const after = await licensesAtTo(second, customer.subscriptionId);
  expect(after).toHaveLength(1);
  expect(after[0].license_id).toBe(before.license_id);
  expect(Date.parse(after[0].expires_at as string)).toBeGreaterThanOrEqual(periodEnd * 1000);
  const ledger = await second.client.purchase(customer.subscriptionId);
  expect(ledger).toMatchObject({ periodEnd, license: { licenseId: before.license_id, status: 'active' } });
  expect(ledger?.history.map((entry) => entry.sourceType)).toEqual(['checkout.session.completed', 'invoice.paid']);

  // The invoice queued before the restart is still there: once its checkout arrives, it goes through.
  await deliverOk(second, checkout(late, t0 + 5));
  expect(await second.client.waitForEvent(lateInvoice.id)).toMatchObject({ status: 'processed' });
  const lateLicenses = await licensesAtTo(second, late.subscriptionId);
  expect(lateLicenses).toHaveLength(1);
  expect(Date.parse(lateLicenses[0].expires_at as string)).toBeGreaterThanOrEqual((t0 + 45 * DAY) * 1000);

  // One license e-mail per purchase over both runs.
  const emails = await readOutbox(path.join(dataDir, 'outbox'));
  expect(emails.map((email) => `${email.purchaseId}:${email.template}`).sort()).toEqual([
    `${customer.subscriptionId}:license_delivered`,
    `${late.subscriptionId}:license_delivered`,
  ]);

  await interrupt(second);
}, TEST_TIMEOUT_MS);

test('with STRIPE_API_URL set, reconciliation is scheduled and runs on demand: a paid checkout whose webhook never came is requeued and licensed', async () => {
  const stripe = await startFakeStripeApi({ apiKey: 'rk_test_local_pipeline' });
  try {
    const dataDir = newDataDir();
    const running = await startPipeline(dataDir, { STRIPE_API_URL: stripe.url, STRIPE_API_KEY: 'rk_test_local_pipeline' });
    expect(running.output()).toContain(`Stripe API features  (reconciliation): enabled, Stripe API at ${stripe.url}`);
    expect(running.output()).toMatch(/reconciliation every 300 s/);

    // Paid an hour ago at Stripe; the webhook never reached this pipeline.
    const purchase = { subscriptionId: `sub_lost_${process.pid}`, customerId: 'cus_lost', email: 'lost@example.com' };
    const paid = checkout(purchase, now() - 3600);
    stripe.addEvents(paid);

    const response = await fetch(`${running.url}/local/jobs/reconciliation`, { method: 'POST' });
    expect(response.status).toBe(200);
    const { ok, result } = (await response.json()) as { ok: boolean; result: { checked: number; orphaned: Array<{ eventId: string; action: string }> } };
    expect(ok).toBe(true);
    expect(result).toMatchObject({ checked: 1, orphaned: [{ eventId: paid.id, action: 'requeued' }] });

    const [license] = await eventually(() => licensesAtTo(running, purchase.subscriptionId), (found) => found.length === 1, 'the license of the requeued checkout');
    expect(license.status).toBe('active');
    await eventually(async () => (await fetch(`${running.url}/local/events/${paid.id}`).then((r) => r.json())) as { status: string }, (view) => view.status === 'processed', 'the requeued event processed');
    const emails = await readOutbox(path.join(dataDir, 'outbox'));
    expect(emails.filter((email) => email.to === 'lost@example.com').map((email) => email.template)).toEqual(['license_delivered']);
    expect(running.output()).toMatch(/Orphaned payment: paid at Stripe, no license here .*action=requeued/);
    await interrupt(running);
  } finally {
    await stripe.stop();
  }
}, TEST_TIMEOUT_MS);

test('a taken port gets a clear message naming the port and the PORT variable, and exit code 1', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    // The pipeline itself (what `npm start` runs), so the exit code is its own and not npm's.
    const child = spawn(process.execPath, ['-r', './local/register-ts.js', 'local/start.ts'], {
      cwd: ROOT, env: { ...process.env, PORT: String(port), LOCAL_DATA_DIR: newDataDir(), STRIPE_WEBHOOK_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    children.delete(child);
    expect(code).toBe(1);
    expect(output).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(output).toContain('PORT=');
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
}, TEST_TIMEOUT_MS);

test('npm run demo walks a customer through buy, renew, failed and recovered payment, upgrade, dispute and cancel, and says every step matched', async () => {
  const tmp = newDataDir();
  // TMPDIR: the demo's own data folder lands where this test cleans up.
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  for (const name of ['TO_API_URL', 'TO_API_KEY', 'STRIPE_WEBHOOK_SECRET', 'PLANS_FILE', 'DEMO_URL']) delete env[name];
  const child = spawn('npm', ['run', 'demo', '--', '--own'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  children.delete(child);

  expect({ code, output }).toMatchObject({ code: 0 });
  expect(output).toContain('Done: 8 steps as expected; 1 license created for the whole life of the subscription.');
  expect(output).not.toContain('✗');
  for (const subject of ['license key', 'payment failed', 'plan is now', 'license is suspended', 'license is active again', 'license has ended']) {
    expect(output).toContain(subject);
  }
}, TEST_TIMEOUT_MS);

describe('npm start configuration (README "Run it locally")', () => {
  test('runs with nothing set: port 3000 on 127.0.0.1, data in ./.local, built-in TO, deployed queue defaults, Stripe API features off', () => {
    const options = readLocalOptions({}, '/home/dev/project');
    expect(options).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/home/dev/project/.local',
      outboxDir: '/home/dev/project/.local/outbox',
      trafficOrchestrator: { kind: 'built-in', port: 0 },
      stripeApiUrl: null,
      visibilityTimeoutSeconds: 5,
      maxReceiveCount: 5,
      graceEscalationIntervalSeconds: 60,
      stripeApiKey: 'sk_test_local',
      reconciliationIntervalSeconds: 300,
      logLevel: 'info',
    });
    expect(options.webhookSecrets).toBeUndefined();
    expect(existsSync(options.plansFile)).toBe(true);
  });

  test('takes a real TO, the Stripe API base and several signing secrets from the environment', () => {
    const options = readLocalOptions({
      TO_API_URL: 'https://to.example.com/api/v1/', TO_API_KEY: 'key', STRIPE_API_URL: 'http://127.0.0.1:12111',
      STRIPE_WEBHOOK_SECRET: 'whsec_a, whsec_b', LOCAL_DATA_DIR: 'data', PORT: '0',
    }, '/p');
    expect(options).toMatchObject({
      port: 0,
      dataDir: '/p/data',
      trafficOrchestrator: { kind: 'external', apiUrl: 'https://to.example.com/api/v1', apiKey: 'key' },
      stripeApiUrl: 'http://127.0.0.1:12111',
      webhookSecrets: ['whsec_a', 'whsec_b'],
    });
  });

  test('names every wrong variable at once, without echoing a secret', () => {
    let error: unknown;
    try {
      readLocalOptions({
        PORT: '70000', TO_API_KEY: 'key-only', STRIPE_WEBHOOK_SECRET: 'sk_live_oops', STRIPE_API_URL: 'ftp://x', LOG_LEVEL: 'loud', GRACE_ESCALATION_INTERVAL_SECONDS: '0',
        STRIPE_API_KEY: 'sk_live_secret_key', RECONCILIATION_INTERVAL_SECONDS: '0',
      }, '/p');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LocalConfigError);
    const { problems } = error as LocalConfigError;
    expect(problems).toHaveLength(8);
    for (const name of ['PORT', 'TO_API_URL and TO_API_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_API_URL', 'LOG_LEVEL', 'GRACE_ESCALATION_INTERVAL_SECONDS', 'STRIPE_API_KEY', 'RECONCILIATION_INTERVAL_SECONDS']) {
      expect(problems.some((problem) => problem.includes(name))).toBe(true);
    }
    expect((error as Error).message).not.toContain('sk_live_oops');
    expect((error as Error).message).not.toContain('sk_live_secret_key');
  });
});
