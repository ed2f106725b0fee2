/**
 * The grace-escalation Lambda (what EventBridge Scheduler runs) over real protocols: the processor
 * puts customers into grace from real Stripe events (fauxqs → processor → dynalite), then each run
 * of the job finds the due purchases through the ledger's grace index and moves them along the
 * ladder with the real Traffic Orchestrator SDK against the fake TO, e-mails to the outbox folder.
 * The harness clock stands in for the days passing.
 */
import { METRIC } from '../../lambdas/observability/metric-names';
import type { FakeLicense } from '../support/fake-traffic-orchestrator';
import { startProcessorHarness, type ProcessorHarness } from '../support/processor-harness';
import { checkoutCompleted, invoiceEvent, nextId, type StripeEventJson } from '../support/stripe-events';

jest.setTimeout(30_000);

const VERSION = '2026-07-29.dahlia';
const DAY = 86_400;
const METADATA = { to_product_id: 'to_prod_example', to_license_tier: 'professional' };

let h: ProcessorHarness;
beforeEach(async () => { h = await startProcessorHarness(); });
afterEach(async () => h.stop());

/** Grace starts for every customer at this time (seconds); the ladder is measured from it. */
let failedAt: number;
const atDay = (day: number): void => h.clock.set((failedAt + day * DAY) * 1000);

async function run(...events: StripeEventJson[]): Promise<void> {
  await h.send(...events);
  await h.drain();
  expect(await h.deadLetters()).toEqual([]);
}

/** A professional subscriber, bought 40 days before `failedAt`. */
async function subscriber(email: string) {
  const subscriptionId = nextId('sub');
  const customerId = nextId('cus');
  const start = failedAt - 40 * DAY;
  await run(checkoutCompleted(VERSION, { mode: 'subscription', subscriptionId, customerId, email, name: email, metadata: METADATA, created: start }));
  const invoice = (type: 'invoice.paid' | 'invoice.payment_failed', created: number) => invoiceEvent(VERSION, {
    type, subscriptionId, customerId, billingReason: 'subscription_cycle', priceId: 'price_pro_monthly',
    periodStart: failedAt, periodEnd: failedAt + 30 * DAY, created, paymentIntentId: nextId('pi'), chargeId: nextId('ch'),
  });
  return { subscriptionId, paymentFails: () => run(invoice('invoice.payment_failed', failedAt)), pays: (day: number) => run(invoice('invoice.paid', failedAt + day * DAY)) };
}

const licenseOf = (purchaseId: string): FakeLicense => {
  const [license, ...others] = h.to.licenses().filter((l) => l.app_name === purchaseId);
  expect(others).toEqual([]);
  return license;
};
const emailsOf = async (purchaseId: string) => (await h.outbox()).filter((e) => e.purchaseId === purchaseId).map((e) => e.template);

beforeEach(() => {
  failedAt = Math.floor(Date.now() / 1000) - 60;
  h.clock.set(failedAt * 1000);
});

test('each run moves every due purchase one ladder step, exactly once: day 3 reminder, day 7 downgrade, day 14 suspension', async () => {
  const ada = await subscriber('ada@example.com');
  const alan = await subscriber('alan@example.com');
  const paysOnDay2 = await subscriber('grace@example.com');
  const healthy = await subscriber('edsger@example.com');
  for (const customer of [ada, alan, paysOnDay2]) await customer.paymentFails();

  atDay(1);
  expect(await h.runGraceEscalation()).toMatchObject({ due: 0, escalated: [] });
  atDay(2);
  await paysOnDay2.pays(2);

  atDay(3);
  const day3 = await h.runGraceEscalation({ scheduledTime: new Date(h.clock.nowMs()).toISOString() });
  expect(day3.escalated.map((e) => e.purchaseId).sort()).toEqual([ada.subscriptionId, alan.subscriptionId].sort());
  expect(day3.escalated[0]).toMatchObject({ notes: ['grace warned → reminded'], licenseActions: [], emailsSent: ['payment_reminder'] });
  expect(day3).toMatchObject({ failed: [], busy: [], deferred: [] });
  // A second run the same day (a scheduler retry, or the next firing) finds nothing due.
  expect(await h.runGraceEscalation()).toMatchObject({ due: 0 });

  atDay(7);
  expect((await h.runGraceEscalation()).escalated).toHaveLength(2);
  expect(licenseOf(ada.subscriptionId)).toMatchObject({ status: 'active', plan_id: 'plan_free' });

  atDay(14);
  expect((await h.runGraceEscalation()).escalated).toHaveLength(2);
  atDay(30);
  expect(await h.runGraceEscalation()).toMatchObject({ due: 0 });

  for (const customer of [ada, alan]) {
    expect(licenseOf(customer.subscriptionId)).toMatchObject({ status: 'suspended', plan_id: 'plan_free' });
    expect(await emailsOf(customer.subscriptionId)).toEqual(['license_delivered', 'payment_failed', 'payment_reminder', 'downgraded', 'suspended']);
  }
  expect(licenseOf(paysOnDay2.subscriptionId)).toMatchObject({ status: 'active', plan_id: 'plan_professional' });
  expect(await emailsOf(paysOnDay2.subscriptionId)).toEqual(['license_delivered', 'payment_failed']);
  expect(licenseOf(healthy.subscriptionId)).toMatchObject({ status: 'active', plan_id: 'plan_professional' });
  expect(await emailsOf(healthy.subscriptionId)).toEqual(['license_delivered']);

  // The audit history names the scheduler run behind each step.
  const steps = (await h.ledger.history(ada.subscriptionId)).filter((entry) => entry.sourceType === 'grace.tick');
  expect(steps.map((entry) => entry.notes)).toEqual([['grace warned → reminded'], ['grace reminded → downgraded'], ['grace downgraded → suspended']]);
  expect(steps[0].sourceId).toBe(`grace-escalation@${new Date((failedAt + 3 * DAY) * 1000).toISOString()}`);
  expect(h.graceMetrics.total(METRIC.graceStepApplied)).toBe(6);
  expect(h.graceMetrics.total(METRIC.graceEscalationFailed)).toBe(0);
});

test('a scheduler that was down for two weeks jumps straight to the stage due now, with one e-mail', async () => {
  const ada = await subscriber('ada@example.com');
  await ada.paymentFails();

  atDay(15);
  const summary = await h.runGraceEscalation();
  expect(summary.escalated).toEqual([{
    purchaseId: ada.subscriptionId,
    notes: ['grace warned → suspended'],
    licenseActions: ['change_plan', 'set_domain_limit', 'suspend'],
    emailsSent: ['suspended'],
  }]);
  expect(licenseOf(ada.subscriptionId)).toMatchObject({ status: 'suspended', plan_id: 'plan_free' });
  expect(await emailsOf(ada.subscriptionId)).toEqual(['license_delivered', 'payment_failed', 'suspended']);
});

test('Traffic Orchestrator failing for one purchase: the others go on, that one stays due, and the next run finishes its step', async () => {
  const ada = await subscriber('ada@example.com');
  const alan = await subscriber('alan@example.com');
  for (const customer of [ada, alan]) await customer.paymentFails();
  atDay(3);
  await h.runGraceEscalation();

  const adaLicense = licenseOf(ada.subscriptionId).license_id;
  h.to.injectFault({ path: new RegExp(adaLicense), kind: '5xx', times: Infinity });
  atDay(7);
  const failing = await h.runGraceEscalation();
  expect(failing.escalated.map((e) => e.purchaseId)).toEqual([alan.subscriptionId]);
  expect(failing.failed).toEqual([{ purchaseId: ada.subscriptionId, reason: 'license_provider_unavailable', message: expect.stringContaining('change_plan') }]);
  expect(h.graceMetrics.total(METRIC.graceEscalationFailed)).toBe(1);
  expect(licenseOf(ada.subscriptionId)).toMatchObject({ plan_id: 'plan_professional' });
  expect(await emailsOf(ada.subscriptionId)).not.toContain('downgraded');

  // Still failing an hour later: still due, still reported.
  h.clock.advance(3_600_000);
  expect((await h.runGraceEscalation()).failed.map((f) => f.purchaseId)).toEqual([ada.subscriptionId]);

  // Traffic Orchestrator is back: the next run carries out the day-7 step it recorded, once.
  h.to.clearFaults();
  h.clock.advance(900_000);
  const recovered = await h.runGraceEscalation();
  expect(recovered).toMatchObject({
    due: 1,
    escalated: [],
    finished: [{ purchaseId: ada.subscriptionId, licenseActions: ['change_plan', 'set_domain_limit'], emailsSent: ['downgraded'] }],
    failed: [],
  });
  expect(licenseOf(ada.subscriptionId)).toMatchObject({ status: 'active', plan_id: 'plan_free' });
  expect(await emailsOf(ada.subscriptionId)).toEqual(['license_delivered', 'payment_failed', 'payment_reminder', 'downgraded']);
  expect(await h.runGraceEscalation()).toMatchObject({ due: 0 });
});

test('a purchase busy with a Stripe event is left for the next run, and a run out of time stops before starting the next purchase', async () => {
  const ada = await subscriber('ada@example.com');
  const alan = await subscriber('alan@example.com');
  for (const customer of [ada, alan]) await customer.paymentFails();
  atDay(3);

  // Another worker (the processor) holds Ada's lease.
  await h.ledger.acquire(ada.subscriptionId, 'processor-invocation', 60_000);
  const busy = await h.runGraceEscalation();
  expect(busy).toMatchObject({ due: 2, busy: [ada.subscriptionId], failed: [] });
  expect(busy.escalated.map((e) => e.purchaseId)).toEqual([alan.subscriptionId]);
  await h.ledger.release(ada.subscriptionId, 'processor-invocation');

  // Less time left than one purchase may take (the lease, 60 s here): nothing is started.
  const late = await h.runGraceEscalation({ lambdaTimeoutMs: 10_000 });
  expect(late).toMatchObject({ due: 1, escalated: [], deferred: [ada.subscriptionId] });
  expect(h.graceMetrics.total(METRIC.graceEscalationDeferred)).toBe(2);

  const next = await h.runGraceEscalation();
  expect(next.escalated.map((e) => e.purchaseId)).toEqual([ada.subscriptionId]);
  expect(await emailsOf(ada.subscriptionId)).toEqual(['license_delivered', 'payment_failed', 'payment_reminder']);
});

test('a malformed scheduler payload fails the run with a clear message and changes nothing', async () => {
  const ada = await subscriber('ada@example.com');
  await ada.paymentFails();
  atDay(3);
  await expect(h.runGraceEscalation({ scheduledTime: 'yesterday-ish' })).rejects.toThrow('scheduledTime must be an ISO 8601 time, got "yesterday-ish"');
  expect(await emailsOf(ada.subscriptionId)).toEqual(['license_delivered', 'payment_failed']);
});
