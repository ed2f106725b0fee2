/**
 * DESIGN §3 grace ladder, driven by the clock: day 0 warning · day 3 reminder · day 7 downgrade to
 * the free tier (1 domain, original tier kept) · day 14 suspend; a successful payment at any step
 * restores tier and status. Days come from config/plans.json (3 / 7 / 14).
 *
 * The customer here pays for `professional` (10 domains), so a downgrade to `free` (1 domain) and
 * the restore are visible in every field.
 */
import {
  applyEvent,
  escalateGrace,
  graceCheckDueAt,
  graceStageAt,
  nextGraceStepAt,
  planLicenseActions,
  desiredLicense,
} from '../../lambdas/domain/lifecycle';
import type { GraceStage, PurchaseState } from '../../lambdas/domain/purchase';
import {
  DAY,
  FIRST_PERIOD_END,
  PRODUCT_ID,
  SECOND_PERIOD_END,
  applyAll,
  checkout,
  invoice,
  loadShippedPlans,
  queuedEmails,
  settle,
  subscription,
} from '../support/billing-events';

const plans = loadShippedPlans();

/** The renewal payment failed when the first period ended: grace starts here. */
const FAILED_AT = FIRST_PERIOD_END;
const msAtDay = (day: number): number => (FAILED_AT + day * DAY) * 1000;

const PROFESSIONAL = { tier: 'professional', paidTier: 'professional', planId: 'plan_professional', maxDomains: 10 } as const;
const FREE_LIMITS = { tier: 'free', paidTier: 'professional', planId: 'plan_free', maxDomains: 1, downgraded: true } as const;

/** A professional subscriber whose renewal just failed; license and e-mails settled. */
function inGrace(): PurchaseState {
  return applyAll(plans, [
    subscription('created', { priceId: 'price_pro_monthly' }),
    checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } }),
    invoice('payment_failed', { created: FAILED_AT }),
  ]);
}

/** Runs the scheduler at each given day (settling after each tick) and returns the purchase after the last. */
function ladderAt(...days: number[]): PurchaseState {
  let state = inGrace();
  for (const day of days) state = settle(escalateGrace(state, plans, msAtDay(day), `tick-day-${day}`).state, plans).state;
  return state;
}

describe('graceStageAt: days since the first failed payment decide the stage', () => {
  const SECOND = 1 / DAY;
  it.each<{ at: string; day: number; stage: GraceStage }>([
    { at: 'day 0', day: 0, stage: 'warned' },
    { at: 'one second before day 3', day: 3 - SECOND, stage: 'warned' },
    { at: 'day 3', day: 3, stage: 'reminded' },
    { at: 'one second before day 7', day: 7 - SECOND, stage: 'reminded' },
    { at: 'day 7', day: 7, stage: 'downgraded' },
    { at: 'one second before day 14', day: 14 - SECOND, stage: 'downgraded' },
    { at: 'day 14', day: 14, stage: 'suspended' },
    { at: 'day 60', day: 60, stage: 'suspended' },
  ])('$at → $stage', ({ day, stage }) => {
    expect(graceStageAt(FAILED_AT, plans, msAtDay(day))).toBe(stage);
  });

  it('follows the configured days (the ladder is configurable)', () => {
    const fast = { ...plans, grace: { reminderDay: 1, downgradeDay: 2, suspendDay: 3 } };
    expect(graceStageAt(FAILED_AT, fast, msAtDay(2))).toBe('downgraded');
    expect(graceStageAt(FAILED_AT, fast, msAtDay(3))).toBe('suspended');
  });
});

describe('nextGraceStepAt: when the scheduler should look again', () => {
  it.each<[string, number[], number | null]>([
    ['warned → the reminder day', [], FAILED_AT + 3 * DAY],
    ['reminded → the downgrade day', [3], FAILED_AT + 7 * DAY],
    ['downgraded → the suspension day', [3, 7], FAILED_AT + 14 * DAY],
    ['suspended → nothing further', [3, 7, 14], null],
  ])('%s', (_label, days, expected) => {
    expect(nextGraceStepAt(ladderAt(...days), plans)).toBe(expected);
  });

  it('no grace running → null', () => {
    const healthy = applyAll(plans, [subscription('created', { priceId: 'price_pro_monthly' }), checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } })]);
    expect(nextGraceStepAt(healthy, plans)).toBeNull();
  });
});

describe('graceCheckDueAt: when the grace-escalation job picks the purchase up (the ledger index)', () => {
  const nowAt = (day: number): number => msAtDay(day) / 1000;

  it('a settled purchase in grace is due at its next ladder step', () => {
    expect(graceCheckDueAt(inGrace(), plans, nowAt(1))).toBe(FAILED_AT + 3 * DAY);
    expect(graceCheckDueAt(ladderAt(3, 7), plans, nowAt(8))).toBe(FAILED_AT + 14 * DAY);
  });

  it('a step whose license change has not reached the vendor yet stays due now, so the next run finishes it', () => {
    const stepped = escalateGrace(ladderAt(3), plans, msAtDay(7), 'tick-day-7').state;
    const withoutEmails = { ...stepped, outbox: [] };
    expect(planLicenseActions(withoutEmails, plans)).not.toEqual([]);
    expect(graceCheckDueAt(withoutEmails, plans, nowAt(7.01))).toBe(nowAt(7.01));
  });

  it('an e-mail still in the outbox keeps the purchase due now', () => {
    const stepped = escalateGrace(inGrace(), plans, msAtDay(3), 'tick-day-3').state;
    expect(queuedEmails(stepped)).toEqual(['payment_reminder']);
    expect(graceCheckDueAt(stepped, plans, nowAt(3.01))).toBe(nowAt(3.01));
  });

  it('the last step, once carried out, leaves nothing due; neither does a purchase out of grace or revoked', () => {
    expect(graceCheckDueAt(ladderAt(3, 7, 14), plans, nowAt(15))).toBeNull();
    const healthy = applyAll(plans, [subscription('created', { priceId: 'price_pro_monthly' }), checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } })]);
    expect(graceCheckDueAt(healthy, plans, nowAt(15))).toBeNull();
    const revoked = applyAll(plans, [subscription('deleted', { created: FAILED_AT + DAY })], inGrace());
    expect(graceCheckDueAt(revoked, plans, nowAt(2))).toBeNull();
  });
});

describe('day 0: payment failed (warning)', () => {
  it('the license keeps its tier and status; payment_failed was e-mailed when grace started', () => {
    const failed = applyEvent(applyAll(plans, [
      subscription('created', { priceId: 'price_pro_monthly' }),
      checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } }),
    ]), invoice('payment_failed', { created: FAILED_AT }), plans);

    expect(desiredLicense(failed.state, plans)).toMatchObject({ ...PROFESSIONAL, status: 'active', downgraded: false });
    expect(planLicenseActions(failed.state, plans)).toEqual([]);
    expect(queuedEmails(failed.state)).toEqual(['payment_failed']);
  });

  it('a scheduler tick before day 3 changes nothing', () => {
    const decision = escalateGrace(inGrace(), plans, msAtDay(2.9), 'tick-early');

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...PROFESSIONAL, status: 'active' });
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('day 3: reminder with the payment-update link', () => {
  it('queues payment_reminder; the license is untouched', () => {
    const decision = escalateGrace(inGrace(), plans, msAtDay(3), 'tick-day-3');

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...PROFESSIONAL, status: 'active', downgraded: false });
    expect(planLicenseActions(decision.state, plans)).toEqual([]);
    expect(queuedEmails(decision.state)).toEqual(['payment_reminder']);
  });

  it('a second tick on the same day sends no second reminder', () => {
    const decision = escalateGrace(ladderAt(3), plans, msAtDay(3.5), 'tick-day-3-again');

    expect(decision.outcome).toBe('recorded');
    expect(queuedEmails(decision.state)).toEqual([]);
  });
});

describe('day 7: downgrade to free-tier limits (original tier kept for restore)', () => {
  it('plans the free plan with 1 domain, keeps professional as the paid tier, queues downgraded', () => {
    const decision = escalateGrace(ladderAt(3), plans, msAtDay(7), 'tick-day-7');

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...FREE_LIMITS, status: 'active', expiresAt: FIRST_PERIOD_END });
    expect(planLicenseActions(decision.state, plans)).toEqual([
      { type: 'change_plan', planId: 'plan_free', tier: 'free' },
      { type: 'set_domain_limit', maxDomains: 1 },
    ]);
    expect(queuedEmails(decision.state)).toEqual(['downgraded']);
  });
});

describe('day 14: suspend', () => {
  it('suspends the (downgraded) license for payment and queues suspended', () => {
    const decision = escalateGrace(ladderAt(3, 7), plans, msAtDay(14), 'tick-day-14');

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...FREE_LIMITS, status: 'suspended', suspendReason: 'payment' });
    expect(planLicenseActions(decision.state, plans)).toEqual([{ type: 'suspend' }]);
    expect(decision.state.outbox).toEqual([expect.objectContaining({ template: 'suspended', suspendReason: 'payment' })]);
  });

  it('a late scheduler that first runs on day 14 jumps straight there: downgrade and suspend, one e-mail', () => {
    const decision = escalateGrace(inGrace(), plans, msAtDay(14), 'tick-late');

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...FREE_LIMITS, status: 'suspended', suspendReason: 'payment' });
    expect(planLicenseActions(decision.state, plans)).toEqual([
      { type: 'change_plan', planId: 'plan_free', tier: 'free' },
      { type: 'set_domain_limit', maxDomains: 1 },
      { type: 'suspend' },
    ]);
    expect(queuedEmails(decision.state)).toEqual(['suspended']);
    expect(nextGraceStepAt(decision.state, plans)).toBeNull();
  });

  it('a late scheduler that first runs on day 8 downgrades without a separate reminder', () => {
    const decision = escalateGrace(inGrace(), plans, msAtDay(8), 'tick-late');

    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...FREE_LIMITS, status: 'active' });
    expect(queuedEmails(decision.state)).toEqual(['downgraded']);
  });
});

describe('a successful payment at any step restores the original tier and status', () => {
  const EXTEND = { type: 'extend', expiresAt: SECOND_PERIOD_END } as const;
  const RESTORE_PLAN = [
    { type: 'change_plan', planId: 'plan_professional', tier: 'professional' },
    { type: 'set_domain_limit', maxDomains: 10 },
  ] as const;

  it.each<[string, number[], unknown[], string[]]>([
    ['warned (day 1)', [], [EXTEND], []],
    ['reminded (day 4)', [3], [EXTEND], []],
    ['downgraded (day 8)', [3, 7], [...RESTORE_PLAN, EXTEND], ['reactivated']],
    ['suspended (day 15)', [3, 7, 14], [...RESTORE_PLAN, EXTEND, { type: 'reactivate' }], ['reactivated']],
  ])('%s', (_label, ladderDays, expectedPlan, expectedEmails) => {
    const before = ladderAt(...ladderDays);
    const paidDay = (ladderDays.at(-1) ?? 0) + 1;
    const decision = applyEvent(before, invoice('paid', { created: FAILED_AT + paidDay * DAY, attemptCount: 3 }), plans);

    expect(decision.outcome).toBe('applied');
    expect(desiredLicense(decision.state, plans)).toMatchObject({
      ...PROFESSIONAL, status: 'active', suspendReason: null, downgraded: false, expiresAt: SECOND_PERIOD_END,
    });
    expect(planLicenseActions(decision.state, plans)).toEqual(expectedPlan);
    expect(queuedEmails(decision.state)).toEqual(expectedEmails);
    expect(nextGraceStepAt(decision.state, plans)).toBeNull();
  });

  it('after the restore, the scheduler has nothing left to do', () => {
    const restored = applyAll(plans, [invoice('paid', { created: FAILED_AT + 8 * DAY })], ladderAt(3, 7));
    const decision = escalateGrace(restored, plans, msAtDay(14), 'tick-day-14');

    expect(decision.outcome).toBe('recorded');
    expect(desiredLicense(decision.state, plans)).toMatchObject({ ...PROFESSIONAL, status: 'active' });
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('the vendor license ends up as it was before dunning, extended to the paid period', () => {
    const restored = applyAll(plans, [invoice('paid', { created: FAILED_AT + 15 * DAY })], ladderAt(3, 7, 14));

    expect(restored.license).toMatchObject({ planId: 'plan_professional', tier: 'professional', maxDomains: 10, status: 'active', expiresAt: SECOND_PERIOD_END });
  });
});

describe('the ladder and other facts', () => {
  it('a revoked purchase does not move along the ladder', () => {
    const revoked = applyAll(plans, [subscription('deleted', { created: FAILED_AT + DAY })], inGrace());
    const decision = escalateGrace(revoked, plans, msAtDay(14), 'tick-day-14');

    expect(decision.outcome).toBe('recorded');
    expect(nextGraceStepAt(revoked, plans)).toBeNull();
    expect(queuedEmails(decision.state)).toEqual([]);
  });

  it('a purchase not in grace is left alone', () => {
    const healthy = applyAll(plans, [subscription('created', { priceId: 'price_pro_monthly' }), checkout({ metadata: { productId: PRODUCT_ID, tier: 'professional' } })]);
    const decision = escalateGrace(healthy, plans, msAtDay(30), 'tick');

    expect(decision.outcome).toBe('recorded');
    expect(decision.state).toEqual(healthy);
  });

  it('a paused subscription that reaches day 14 is already suspended: no second suspension e-mail', () => {
    const paused = applyAll(plans, [subscription('paused', { created: FAILED_AT + DAY })], inGrace());
    const decision = escalateGrace(paused, plans, msAtDay(14), 'tick-day-14');

    expect(desiredLicense(decision.state, plans)).toMatchObject({ status: 'suspended', suspendReason: 'paused' });
    expect(planLicenseActions(decision.state, plans)).toEqual([
      { type: 'change_plan', planId: 'plan_free', tier: 'free' },
      { type: 'set_domain_limit', maxDomains: 1 },
    ]);
    expect(queuedEmails(decision.state)).not.toContain('suspended');
  });
});
