/**
 * How soon a customer has their license: the whole local pipeline (`npm start`'s
 * startLocalPipeline: HTTP → ingest handler → fauxqs → Lambda-style SQS event source → processor
 * handler → dynalite, the real Traffic Orchestrator SDK over HTTP, e-mails to the outbox folder)
 * takes signed dahlia checkout.session.completed webhooks over HTTP, and for each purchase we time
 *
 *   POST sent → 200 answered               (what Stripe waits for)
 *   POST sent → license created at TO      (the fake's `created_at`, ms; what the alarm is about)
 *   POST sent → e-mail file in the outbox  (seen by fs.watch; the customer has the key)
 *
 * and collect the processor's own ProvisioningLatency metric (Stripe `created` → license created,
 * as the deployed alarm computes it) from the pipeline's console metrics lines.
 *
 * The Traffic Orchestrator is the fake from test/support, started here (so its latency can be
 * set) and given to the pipeline as an external TO through its TO_API_URL/TO_API_KEY settings.
 * One pipeline serves every latency setting; each setting is a separate measured phase.
 *
 * Load model (`--mode`):
 * - steady (default): `--concurrency` customers check out at the same time; each one sends its
 *   webhook, waits until its e-mail is in the outbox, and the next customer takes its place. This
 *   is latency under a sustained load that the pipeline can keep up with.
 * - burst: every webhook is posted as fast as `--concurrency` connections allow, then we wait for
 *   all of them. Latency then grows with the backlog: it measures how long a burst takes to drain.
 *
 * Bounded: purchases have a count, every phase a deadline, the process a watchdog; it only talks to
 * 127.0.0.1, deletes its temporary data folder and stops everything it started.
 *
 * Run: node --enable-source-maps -r ./local/register-ts.js bench/provisioning-latency.ts
 *        [--purchases 200] [--concurrency 10] [--to-latency 0,300] [--mode steady|burst] [--timeout-s 100]
 */
import '../local/process-defaults';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCAL_ENV, readLocalOptions } from '../local/local-config';
import { startLocalPipeline, type RunningLocalPipeline } from '../local/pipeline';
import { startFakeTrafficOrchestrator, type FakeTrafficOrchestrator } from '../test/support/fake-traffic-orchestrator';
import { checkoutCompleted, signStripePayload } from '../test/support/stripe-events';
import {
  intArg, intListArg, machineLine, ms, runAsScript, summarize, summaryHeader, summaryRow, type LatencySummary,
} from './measure';

/** The product's promise: provisioning latency p99 above this raises the alarm. */
export const PROVISIONING_TARGET_MS = 5000;
const LOOPBACK = '127.0.0.1';
const TO_API_KEY = 'to_bench_key';
const SIGNING_SECRET = 'whsec_bench_provisioning_0123456789abcdef01234567';
const LICENSE_EMAIL_TEMPLATE = 'license_delivered';
/** How often the outbox folder is listed in case fs.watch missed a file (it should not on Linux). */
const OUTBOX_RESCAN_MS = 500;
const WARMUP_PURCHASES = 5;
/** Longest wait for the processor's metrics of a phase after its last e-mail. */
const METRICS_FLUSH_WAIT_MS = 3000;

export type LoadMode = 'steady' | 'burst';

export interface ProvisioningBenchmarkOptions {
  purchases: number;
  concurrency: number;
  /** One measured phase per value: the fake TO's delay before every answer. */
  toLatenciesMs: number[];
  mode: LoadMode;
  /** Deadline of one phase; purchases not done by then count as incomplete. */
  phaseTimeoutMs: number;
  print: (line?: string) => void;
}

export interface PhaseResult {
  toLatencyMs: number;
  mode: LoadMode;
  purchases: number;
  concurrency: number;
  wallMs: number;
  ack: LatencySummary;
  license: LatencySummary;
  email: LatencySummary;
  /** The processor's ProvisioningLatency metric values of this phase (Stripe `created` has 1 s resolution). */
  metric: LatencySummary;
  incomplete: number;
  /** Non-200 webhook answers. */
  rejected: number;
  /** What the fake TO saw, per purchase: e.g. `GET /portal/licenses` 1, `POST /portal/licenses` 1. */
  toCallsPerPurchase: Record<string, number>;
  /** Checks that every purchase got exactly one active license and one license e-mail. */
  problems: string[];
  warnings: string[];
  meetsTarget: boolean;
}

interface Purchase {
  index: number;
  purchaseId: string;
  postedAt: number;
  answeredAt?: number;
  status?: number;
  emailSeenAt?: number;
  /** Settles when the license e-mail is seen, the webhook failed, or the phase deadline passed. */
  settled?: Promise<void>;
  done?: () => void;
}

/** The outbox folder as a stream of "purchase X has its license e-mail", by fs.watch with a slow rescan as backstop. */
class OutboxWatcher {
  private readonly watcher: FSWatcher;
  private readonly rescan: NodeJS.Timeout;
  private readonly expected = new Map<string, Purchase>();
  readonly seenByRescan: string[] = [];

  constructor(private readonly dir: string) {
    this.watcher = watch(dir, (_event, name) => {
      if (name) this.notice(name.toString(), Date.now(), false);
    });
    this.rescan = setInterval(() => {
      readdir(this.dir)
        .then((names) => names.forEach((name) => this.notice(name, Date.now(), true)))
        .catch(() => undefined);
    }, OUTBOX_RESCAN_MS);
  }

  expect(purchase: Purchase): void {
    this.expected.set(purchase.purchaseId, purchase);
  }

  private notice(name: string, at: number, byRescan: boolean): void {
    // <stamp>-<purchaseId>-license_delivered-<tag>.json; temporary files start with a dot.
    const match = /^\d{8}T\d{6}\.\d{3}Z-(.+)-([a-z_]+)-[0-9a-f]{12}\.json$/.exec(name);
    if (!match || match[2] !== LICENSE_EMAIL_TEMPLATE) return;
    const purchase = this.expected.get(match[1]);
    if (!purchase || purchase.emailSeenAt !== undefined) return;
    purchase.emailSeenAt = at;
    if (byRescan) this.seenByRescan.push(purchase.purchaseId);
    this.expected.delete(purchase.purchaseId);
    purchase.done?.();
  }

  close(): void {
    clearInterval(this.rescan);
    this.watcher.close();
  }
}

/** The pipeline with the fake TO, in a fresh temporary folder; everything it starts is stopped by `stop`. */
async function startBench(print: (line?: string) => void, metricValues: number[], warnings: string[]) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'stripe-licenses-bench-'));
  let to: FakeTrafficOrchestrator | undefined;
  let pipeline: RunningLocalPipeline | undefined;
  let watcher: OutboxWatcher | undefined;
  const stop = async (): Promise<void> => {
    watcher?.close();
    await pipeline?.stop().catch((error: unknown) => print(`  could not stop the pipeline: ${String(error)}`));
    await to?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    to = await startFakeTrafficOrchestrator({ host: LOOPBACK, port: 0, apiKey: TO_API_KEY });
    // Only the settings named here: whatever PORT, TO_API_URL … the caller's shell has does not leak in.
    const options = readLocalOptions({
      [LOCAL_ENV.port]: '0',
      [LOCAL_ENV.host]: LOOPBACK,
      [LOCAL_ENV.dataDir]: dataDir,
      [LOCAL_ENV.webhookSecret]: SIGNING_SECRET,
      [LOCAL_ENV.toApiUrl]: to.url,
      [LOCAL_ENV.toApiKey]: TO_API_KEY,
    }, process.cwd());
    // 'info' so the pipeline prints its metrics lines; they are read here, not shown.
    pipeline = await startLocalPipeline({ ...options, logLevel: 'info' }, {
      level: 'info',
      write: (line) => {
        const metric = /ProvisioningLatency=([\d,ms]+)/.exec(line);
        if (metric) for (const value of metric[1].split(',')) metricValues.push(Number.parseInt(value, 10));
        if (/ (WARN|ERROR) /.test(line) && warnings.length < 1000) warnings.push(line);
      },
    });
    if (!pipeline.url.startsWith(`http://${LOOPBACK}:`)) throw new Error(`the pipeline listens on ${pipeline.url}, not on ${LOOPBACK}`);
    await mkdir(pipeline.outboxDir, { recursive: true, mode: 0o700 });
    watcher = new OutboxWatcher(pipeline.outboxDir);
    return { dataDir, to, pipeline, watcher, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Bench = Awaited<ReturnType<typeof startBench>>;

async function post(bench: Bench, purchase: Purchase): Promise<void> {
  const nowMs = Date.now();
  const id = purchase.purchaseId.slice('sub_'.length);
  const event = checkoutCompleted('2026-07-29.dahlia', {
    eventId: `evt_${id}`,
    // What Stripe stamps: whole seconds. The processor's metric measures from here.
    created: Math.floor(nowMs / 1000),
    sessionId: `cs_${id}`,
    mode: 'subscription',
    subscriptionId: purchase.purchaseId,
    customerId: `cus_${id}`,
    email: `buyer.${id}@example.com`,
    name: 'Grace Hopper',
    amountTotal: 4900,
    metadata: { to_product_id: 'to_prod_example', to_license_tier: 'professional' },
  });
  const payload = JSON.stringify(event, null, 2);
  const signature = signStripePayload(payload, SIGNING_SECRET);
  bench.watcher.expect(purchase);
  purchase.postedAt = Date.now();
  const response = await fetch(bench.pipeline.webhookUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Stripe-Signature': signature,
    },
    body: payload,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  purchase.answeredAt = Date.now();
  purchase.status = response.status;
  if (response.status !== 200) purchase.done?.();
}

/** Polls a cheap in-memory condition until it holds or the time is up. */
async function waitUntil(condition: () => boolean, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Resolves when the purchase's e-mail is seen, or at the deadline (then it stays incomplete). Made once per purchase. */
function completion(purchase: Purchase, deadline: number): Promise<void> {
  purchase.settled ??= new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    purchase.done = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return purchase.settled;
}

async function runPhase(bench: Bench, runId: string, toLatencyMs: number, count: number, options: ProvisioningBenchmarkOptions, metricValues: number[], warnings: string[]): Promise<PhaseResult> {
  bench.to.setLatency(toLatencyMs);
  const metricsBefore = metricValues.length;
  const warningsBefore = warnings.length;
  const requestsBefore = bench.to.requests().length;
  const purchases: Purchase[] = Array.from({ length: count }, (_, index) => ({
    index,
    purchaseId: `sub_bench${runId}l${toLatencyMs}n${String(index).padStart(5, '0')}`,
    postedAt: 0,
  }));

  const started = Date.now();
  const deadline = started + options.phaseTimeoutMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < purchases.length && Date.now() < deadline) {
      const purchase = purchases[next++];
      // The completion promise is set up before the POST, so an e-mail faster than the 200 is not missed.
      const done = completion(purchase, deadline);
      await post(bench, purchase).catch(() => {
        purchase.status = 0;
        purchase.done?.();
      });
      if (options.mode === 'steady') await done;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, purchases.length) }, worker));
  if (options.mode === 'burst') await Promise.all(purchases.map((purchase) => completion(purchase, deadline)));
  const wallMs = Date.now() - started;
  // The processor flushes its metrics after the batch, a moment after the last e-mail: wait for
  // them, so they are counted in this phase and not the next.
  const provisioned = purchases.filter((purchase) => purchase.emailSeenAt !== undefined).length;
  await waitUntil(() => metricValues.length - metricsBefore >= provisioned, Math.min(METRICS_FLUSH_WAIT_MS, Math.max(0, deadline - Date.now())));

  // Ground truth after the fact: the fake TO's licenses (created_at in ms) and the outbox.
  const licensesByPurchase = new Map<string, Array<{ status: string; createdAtMs: number }>>();
  for (const license of bench.to.licenses()) {
    const list = licensesByPurchase.get(license.app_name) ?? [];
    list.push({ status: license.status, createdAtMs: Date.parse(license.created_at) });
    licensesByPurchase.set(license.app_name, list);
  }
  const problems: string[] = [];
  const ack: number[] = [];
  const license: number[] = [];
  const email: number[] = [];
  let incomplete = 0;
  let rejected = 0;
  for (const purchase of purchases) {
    if (purchase.postedAt === 0) {
      // Not even sent before the deadline.
      incomplete += 1;
      continue;
    }
    if (purchase.status !== 200) {
      rejected += 1;
      continue;
    }
    ack.push((purchase.answeredAt as number) - purchase.postedAt);
    const licenses = licensesByPurchase.get(purchase.purchaseId) ?? [];
    if (purchase.emailSeenAt === undefined || licenses.length === 0) {
      incomplete += 1;
      continue;
    }
    if (licenses.length !== 1 || licenses[0].status !== 'active') {
      problems.push(`${purchase.purchaseId}: ${licenses.length} licenses (${licenses.map((l) => l.status).join(', ')})`);
    }
    license.push(licenses[0].createdAtMs - purchase.postedAt);
    email.push(purchase.emailSeenAt - purchase.postedAt);
  }
  if (bench.watcher.seenByRescan.length > 0) {
    problems.push(`${bench.watcher.seenByRescan.length} e-mails were noticed by the ${OUTBOX_RESCAN_MS} ms rescan, not fs.watch (their times are late by up to that)`);
    bench.watcher.seenByRescan.length = 0;
  }

  const toCalls: Record<string, number> = {};
  for (const request of bench.to.requests().slice(requestsBefore)) {
    const key = `${request.method} ${request.path.replace(/\/lic_[^/]+/, '/:id')}`;
    toCalls[key] = (toCalls[key] ?? 0) + 1;
  }
  const completed = count - incomplete - rejected;
  const toCallsPerPurchase = Object.fromEntries(Object.entries(toCalls).map(([key, n]) => [key, completed > 0 ? n / completed : n]));
  const licenseSummary = summarize(license);
  return {
    toLatencyMs,
    mode: options.mode,
    purchases: count,
    concurrency: options.concurrency,
    wallMs,
    ack: summarize(ack),
    license: licenseSummary,
    email: summarize(email),
    metric: summarize(metricValues.slice(metricsBefore)),
    incomplete,
    rejected,
    toCallsPerPurchase,
    problems,
    warnings: warnings.slice(warningsBefore),
    meetsTarget: incomplete === 0 && rejected === 0 && licenseSummary.p99 <= PROVISIONING_TARGET_MS,
  };
}

export async function runProvisioningBenchmark(options: ProvisioningBenchmarkOptions): Promise<PhaseResult[]> {
  const { print } = options;
  const metricValues: number[] = [];
  const warnings: string[] = [];
  const startedAt = Date.now();
  const bench = await startBench(print, metricValues, warnings);
  try {
    print(`  pipeline up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${bench.pipeline.url}, batches of up to ${bench.pipeline.queue.batchSize}, `
      + `one event-source poller, fake TO at ${bench.to.url}`);
    const runId = Date.now().toString(36);
    // Not measured: JIT, table and connection warm-up.
    await runPhase(bench, `${runId}w`, 0, WARMUP_PURCHASES, { ...options, mode: 'steady', concurrency: 1 }, metricValues, warnings);
    const results: PhaseResult[] = [];
    for (const toLatencyMs of options.toLatenciesMs) {
      print(`  measuring: ${options.purchases} purchases, ${options.mode}, concurrency ${options.concurrency}, fake TO latency ${toLatencyMs} ms …`);
      results.push(await runPhase(bench, runId, toLatencyMs, options.purchases, options, metricValues, warnings));
    }
    return results;
  } finally {
    await bench.stop();
  }
}

export function printPhase(result: PhaseResult, print: (line?: string) => void): void {
  const completed = result.purchases - result.incomplete - result.rejected;
  print();
  print(`  fake TO latency ${result.toLatencyMs} ms · ${result.mode} · concurrency ${result.concurrency} · `
    + `${completed}/${result.purchases} purchases in ${(result.wallMs / 1000).toFixed(1)} s (${((completed / result.wallMs) * 1000).toFixed(1)} purchases/s)`);
  print(summaryHeader(40));
  print(summaryRow('POST → 200 (Stripe\'s wait)', result.ack, 40));
  print(summaryRow('POST → license created at TO', result.license, 40));
  print(summaryRow('POST → license e-mail in the outbox', result.email, 40));
  print(summaryRow('ProvisioningLatency metric (created →)', result.metric, 40));
  const calls = Object.entries(result.toCallsPerPurchase).map(([call, n]) => `${call} ×${n.toFixed(2)}`).join(', ');
  print(`  TO calls per purchase: ${calls || 'none'}`);
  const verdict = result.meetsTarget ? 'yes' : 'NO';
  print(`  p99 POST → license ${ms(result.license.p99)} ms; under the ${PROVISIONING_TARGET_MS / 1000} s target: ${verdict}`
    + (result.incomplete > 0 ? ` (${result.incomplete} purchases not done by the deadline)` : '')
    + (result.rejected > 0 ? ` (${result.rejected} webhooks not answered 200)` : ''));
  for (const problem of result.problems) print(`  PROBLEM: ${problem}`);
  if (result.warnings.length > 0) {
    print(`  the pipeline logged ${result.warnings.length} warnings/errors, e.g.:`);
    for (const line of result.warnings.slice(0, 3)) print(`    ${line}`);
  }
}

export async function main(argv: readonly string[], print: (line?: string) => void = (line = '') => process.stdout.write(`${line}\n`)): Promise<boolean> {
  const modeArg = argv.find((arg) => arg.startsWith('--mode='))?.slice('--mode='.length) ?? (argv.includes('--mode') ? argv[argv.indexOf('--mode') + 1] : 'steady');
  if (modeArg !== 'steady' && modeArg !== 'burst') throw new Error(`--mode must be steady or burst, got ${JSON.stringify(modeArg)}`);
  const options: ProvisioningBenchmarkOptions = {
    purchases: intArg(argv, 'purchases', 200),
    concurrency: intArg(argv, 'concurrency', 10),
    toLatenciesMs: intListArg(argv, 'to-latency', [0, 300]),
    mode: modeArg,
    phaseTimeoutMs: intArg(argv, 'timeout-s', 100) * 1000,
    print,
  };
  print(`Provisioning latency · ${machineLine()}`);
  const results = await runProvisioningBenchmark(options);
  for (const result of results) printPhase(result, print);
  // Exit status says whether the run was sound (every purchase provisioned once), not whether it was fast.
  return results.every((result) => result.incomplete === 0 && result.rejected === 0 && result.problems.length === 0);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const phases = intListArg(argv, 'to-latency', [0, 300]).length;
  runAsScript(() => main(argv), (intArg(argv, 'timeout-s', 100) * phases + 60) * 1000, 'The provisioning benchmark');
}
