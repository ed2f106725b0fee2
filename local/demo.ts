/**
 * `npm run demo`: one customer's life (buy, renew, a failed and a recovered payment, upgrade,
 * dispute opened and won, cancel) sent as signed Stripe webhooks to the local pipeline, with what
 * happened to the license at Traffic Orchestrator and which e-mails went out after each step.
 *
 * Which pipeline: `--url <base>` or DEMO_URL; else one already running on PORT (default 3000);
 * else (or with `--own`) the demo starts its own (built-in Traffic Orchestrator, data in a fresh
 * temporary folder, `--verbose` shows its log). The webhook secret of a running pipeline is STRIPE_WEBHOOK_SECRET, or
 * the development secret it generated in its data folder.
 *
 * Exits 0 when every step did what the product promises, 1 (with what differed) otherwise.
 */
import './process-defaults';
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadPlansFile } from '../lib/config/plans-file';
import type { PlansConfig } from '../lambdas/domain/plans';
import { LOCAL_ENV, readLocalOptions } from './local-config';
import { LocalPipelineClient, type LicenseView, type OutboxEntry, type PurchaseView } from './local-client';
import { customerLife, type DemoStep } from './demo-scenario';
import { readGeneratedWebhookSecret, startLocalPipeline, type RunningLocalPipeline } from './pipeline';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

class DemoFailure extends Error {}

interface Target {
  client: LocalPipelineClient;
  description: string;
  outboxDir: string;
  /** Set when the demo started the pipeline itself. */
  own?: RunningLocalPipeline;
}

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

async function statusAt(url: string): Promise<{ dataDir: string; outboxDir: string } | null> {
  try {
    const response = await fetch(`${url}/local/status`, { signal: AbortSignal.timeout(1500) });
    if (!response.ok) return null;
    const body = (await response.json()) as { status?: string; dataDir?: string; outboxDir?: string };
    return body.status === 'ok' && body.dataDir && body.outboxDir ? { dataDir: body.dataDir, outboxDir: body.outboxDir } : null;
  } catch {
    return null;
  }
}

async function connect(): Promise<Target> {
  const explicit = argValue('--url') ?? process.env.DEMO_URL;
  const candidate = (explicit ?? `http://127.0.0.1:${process.env[LOCAL_ENV.port] || 3000}`).replace(/\/+$/, '');
  const running = process.argv.includes('--own') ? null : await statusAt(candidate);
  if (running) {
    const secret = process.env[LOCAL_ENV.webhookSecret]?.split(',')[0]?.trim() || (await readGeneratedWebhookSecret(running.dataDir));
    if (!secret) {
      throw new DemoFailure(`The pipeline at ${candidate} uses a signing secret the demo does not know: set ${LOCAL_ENV.webhookSecret} to the one it was started with.`);
    }
    return { client: new LocalPipelineClient(candidate, secret), description: `the pipeline running at ${candidate}`, outboxDir: running.outboxDir };
  }
  if (explicit) throw new DemoFailure(`No local pipeline answers at ${candidate} (GET /local/status). Start it with npm start, or leave out --url/DEMO_URL.`);

  // Our own pipeline: the configured plans, everything else fresh and local.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'stripe-licenses-demo-'));
  const base = readLocalOptions({ ...process.env, [LOCAL_ENV.port]: '0', [LOCAL_ENV.dataDir]: dataDir, [LOCAL_ENV.webhookSecret]: '', [LOCAL_ENV.toApiUrl]: '', [LOCAL_ENV.toApiKey]: '', [LOCAL_ENV.outboxDir]: '' });
  const own = await startLocalPipeline(
    { ...base, logLevel: process.argv.includes('--verbose') ? 'info' : 'silent' },
    { level: process.argv.includes('--verbose') ? 'info' : 'silent', write: (line) => out(`    │ ${line}`) },
  );
  return {
    client: new LocalPipelineClient(own.url, own.webhookSecrets[0]),
    description: `a pipeline of its own (built-in Traffic Orchestrator, data in ${dataDir})`,
    outboxDir: own.outboxDir,
    own,
  };
}

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const isoDay = (iso: string | null) => (iso ? iso.slice(0, 10) : 'never');

function describeLicense(license: LicenseView | undefined): string {
  if (!license) return 'none';
  return `${license.licenseId} · ${license.status} · plan ${license.planId} · expires ${isoDay(license.expiresAt)}`;
}

function describeLedger(purchase: PurchaseView | null): string {
  if (!purchase) return 'not in the ledger';
  const parts = [`tier ${purchase.tier ?? '—'}`];
  if (purchase.periodEnd) parts.push(`paid through ${day(purchase.periodEnd)}`);
  if (purchase.grace) parts.push(`grace: ${purchase.grace.stage} since ${day(purchase.grace.startedAt)}`);
  for (const [disputeId, dispute] of Object.entries(purchase.disputes ?? {})) parts.push(`dispute ${disputeId} ${dispute.status}`);
  if (purchase.revoked) parts.push(`revoked (${purchase.revoked})`);
  return parts.join(' · ');
}

/** What differs from the expectation; empty when the step went as promised. */
function problems(step: DemoStep, licenses: LicenseView[], license: LicenseView | undefined, emails: OutboxEntry[], purchase: PurchaseView | null): string[] {
  const { expect } = step;
  const found: string[] = [];
  const live = licenses.filter((l) => l.status !== 'revoked');
  if (live.length > 1) found.push(`expected one license for the purchase, found ${live.length} live ones`);
  if (!license) {
    // A real Traffic Orchestrator no longer lists a revoked license at all.
    if (expect.licenseStatus !== 'revoked') found.push('expected a license at Traffic Orchestrator, found none');
  } else {
    if (license.status !== expect.licenseStatus) found.push(`license status: expected ${expect.licenseStatus}, is ${license.status}`);
    if (expect.planId && license.planId !== expect.planId) found.push(`license plan: expected ${expect.planId}, is ${license.planId}`);
    if (expect.expiresAtLeast !== undefined && license.expiresAt !== null && Date.parse(license.expiresAt) < expect.expiresAtLeast * 1000) {
      found.push(`license expiry: expected ${day(expect.expiresAtLeast)} or later, is ${isoDay(license.expiresAt)}`);
    }
  }
  const templates = emails.map((email) => email.template);
  if (templates.join(',') !== expect.emails.join(',')) found.push(`e-mails: expected [${expect.emails.join(', ')}], sent [${templates.join(', ')}]`);
  if (!purchase) found.push('the ledger does not know the purchase');
  else if (expect.ledger) {
    const wrong = expect.ledger(purchase);
    if (wrong) found.push(`ledger: ${wrong}`);
  }
  return found;
}

async function runStory(target: Target, plans: PlansConfig): Promise<number> {
  const { client } = target;
  const runId = randomBytes(4).toString('hex');
  const life = customerLife(plans, { now: Math.floor(Date.now() / 1000), runId });
  const start = life.startsAt;

  out(`${plans.email.productName}: Stripe billing events → Traffic Orchestrator licenses, one customer's life`);
  out(`Using ${target.description}.`);
  out(`Customer: ${life.customer.name} <${life.customer.email}> (${life.customer.customerId}), subscription ${life.purchaseId}.`);
  out('Each step sends the signed webhooks Stripe would send, waits until the pipeline has processed them,');
  out('then shows the license at Traffic Orchestrator and the e-mails that went out.');

  let emailsSeen = 0;
  let firstLicenseId: string | undefined;
  for (const [index, step] of life.steps.entries()) {
    out();
    out(`${index + 1}. ${step.title} — day ${Math.round((step.at - start) / 86_400)} (${day(step.at)})`);
    out(`   ${step.story}`);
    out(`   Stripe sends   ${step.events.map((event) => event.type + (event.type.startsWith('invoice.') ? ` (${event.data.object.billing_reason})` : '')).join(', ')}`);
    for (const event of step.events) {
      const answer = await client.deliver(event);
      if (answer.status !== 200) throw new DemoFailure(`the webhook answered ${answer.status} ${JSON.stringify(answer.body)} to ${event.type} ${event.id}`);
      const result = await client.waitForEvent(event.id);
      if (result.status !== 'processed') {
        throw new DemoFailure(`${event.type} ${event.id} went to the dead-letter queue: ${result.failure?.reason ?? '?'} (${result.failure?.message ?? ''})`);
      }
    }

    const [licenses, outbox, purchase] = await Promise.all([client.licenses(life.purchaseId), client.outbox(life.purchaseId), client.purchase(life.purchaseId)]);
    const license = licenses.filter((l) => l.status !== 'revoked').at(-1) ?? licenses.at(-1);
    const newEmails = outbox.slice(emailsSeen);
    emailsSeen = outbox.length;
    firstLicenseId ??= license?.licenseId;

    out(`   License        ${describeLicense(license)}${license && license.licenseId === firstLicenseId && index > 0 ? ' (same license)' : ''}`);
    if (newEmails.length === 0) out('   E-mails        none');
    newEmails.forEach((email, i) => out(`   ${i === 0 ? 'E-mails       ' : '              '} → ${email.to}  "${email.subject}"`));
    out(`   Ledger         ${describeLedger(purchase)}`);

    const found = problems(step, licenses, license, newEmails, purchase);
    if (found.length > 0) {
      for (const problem of found) out(`   ✗ ${problem}`);
      throw new DemoFailure(`step ${index + 1} (${step.title}) did not do what the product promises`);
    }
    out(`   ✓ ${step.explain}`);
  }

  const final = await client.purchase(life.purchaseId);
  const everCreated = (await client.licenses(life.purchaseId)).length;
  out();
  out(`Audit history of ${life.purchaseId} in the ledger (what on-call sees; every change, in order):`);
  for (const entry of final?.history ?? []) {
    out(`   ${entry.at.slice(11, 19)}  ${entry.sourceType.padEnd(34)} ${entry.outcome.padEnd(8)} ${entry.notes.join('; ') || '(confirms what the ledger already knew)'}`);
  }
  out();
  out(`Done: ${life.steps.length} steps as expected; ${everCreated} license created for the whole life of the subscription.`);
  out(`The e-mails (full text, with the license key) are in ${target.outboxDir}.`);
  return 0;
}

async function main(): Promise<number> {
  const plans = loadPlansFile(readLocalOptions().plansFile);
  let target: Target | undefined;
  const stopOwn = async () => {
    const own = target?.own;
    if (own) await own.stop();
  };
  process.once('SIGINT', () => {
    out('\nInterrupted.');
    stopOwn().finally(() => process.exit(130));
  });
  try {
    target = await connect();
    return await runStory(target, plans);
  } catch (error) {
    out();
    out(`Demo failed: ${(error as Error)?.message ?? String(error)}`);
    return 1;
  } finally {
    await stopOwn();
  }
}

main().then((code) => process.exit(code));
