/**
 * parsePlansConfig: the shipped config/plans.json is valid and complete, and every invalid entry is
 * reported by its path (so `cdk synth` tells the platform engineer which line to fix).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlansConfigError, parsePlansConfig, tierForPrice } from '../../lambdas/domain/plans';

const shippedJson = (): Record<string, any> => JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'plans.json'), 'utf8'));

/** The problems parsePlansConfig reports for `input`; fails the test if it accepts it. */
function problemsOf(input: unknown): string[] {
  try {
    parsePlansConfig(input);
  } catch (error) {
    if (error instanceof PlansConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** The shipped config with one change applied. */
function shippedWith(change: (config: Record<string, any>) => void): Record<string, any> {
  const config = shippedJson();
  change(config);
  return config;
}

describe('the shipped config/plans.json', () => {
  const plans = parsePlansConfig(shippedJson());

  it('is valid', () => {
    expect(plans.productId).toBe('to_prod_example');
  });

  it('has the paid tiers and the free tier used by dunning (free: 1 domain)', () => {
    expect(Object.keys(plans.tiers).sort()).toEqual(['business', 'free', 'professional', 'starter']);
    expect(plans.freeTier).toBe('free');
    expect(plans.tiers.free).toMatchObject({ maxDomains: 1 });
  });

  it.each(['starter', 'professional', 'business'])('%s can be bought monthly and annually', (tier) => {
    const intervals = Object.values(plans.prices).filter((price) => price.tier === tier).map((price) => price.interval).sort();
    expect(intervals).toEqual(['month', 'year']);
  });

  it('maps each price id to its tier', () => {
    expect(tierForPrice(plans, 'price_starter_monthly')).toBe('starter');
    expect(tierForPrice(plans, 'price_pro_annual')).toBe('professional');
    expect(tierForPrice(plans, 'price_business_monthly')).toBe('business');
    expect(tierForPrice(plans, 'price_unknown')).toBeUndefined();
    expect(tierForPrice(plans, null)).toBeUndefined();
  });

  it('has the DESIGN grace ladder: reminder day 3, downgrade day 7, suspend day 14', () => {
    expect(plans.grace).toEqual({ reminderDay: 3, downgradeDay: 7, suspendDay: 14 });
  });

  it('gives each tier its own vendor plan', () => {
    const planIds = Object.values(plans.tiers).map((tier) => tier.planId);
    expect(new Set(planIds).size).toBe(planIds.length);
  });
});

describe('each invalid entry is reported by its path', () => {
  it.each<[string, (config: Record<string, any>) => void, string]>([
    ['productId missing', (c) => { delete c.productId; }, 'productId:'],
    ['productId blank', (c) => { c.productId = '  '; }, 'productId:'],
    ['a tier that is not an object', (c) => { c.tiers.starter = 'cheap'; }, 'tiers.starter:'],
    ['a tier without planId', (c) => { delete c.tiers.starter.planId; }, 'tiers.starter.planId:'],
    ['maxDomains zero', (c) => { c.tiers.professional.maxDomains = 0; }, 'tiers.professional.maxDomains:'],
    ['maxDomains fractional', (c) => { c.tiers.professional.maxDomains = 2.5; }, 'tiers.professional.maxDomains:'],
    ['maxDomains as a string', (c) => { c.tiers.professional.maxDomains = '10'; }, 'tiers.professional.maxDomains:'],
    ['features not a list of strings', (c) => { c.tiers.business.features = ['sso', 3]; }, 'tiers.business.features:'],
    ['prices empty', (c) => { c.prices = {}; }, 'prices:'],
    ['a price id without the price_ prefix', (c) => { c.prices.plan_x = { tier: 'starter', interval: 'month' }; }, 'prices.plan_x:'],
    ['a price that is not an object', (c) => { c.prices.price_starter_monthly = 'starter'; }, 'prices.price_starter_monthly:'],
    ['a price naming an unknown tier', (c) => { c.prices.price_pro_monthly.tier = 'pro'; }, 'prices.price_pro_monthly.tier:'],
    ['a price with a bad interval', (c) => { c.prices.price_pro_annual.interval = 'annual'; }, 'prices.price_pro_annual.interval:'],
    ['freeTier not a tier', (c) => { c.freeTier = 'trial'; }, 'freeTier:'],
    ['grace missing', (c) => { delete c.grace; }, 'grace:'],
    ['grace day not a positive integer', (c) => { c.grace.reminderDay = 0; }, 'grace.reminderDay:'],
    ['grace days out of order', (c) => { c.grace.downgradeDay = 20; }, 'grace: days must increase'],
    ['email missing', (c) => { delete c.email; }, 'email:'],
    ['email.from not an address', (c) => { c.email.from = 'licenses'; }, 'email.from:'],
    ['email.productName blank', (c) => { c.email.productName = ''; }, 'email.productName:'],
    ['email.paymentUpdateUrl not http(s)', (c) => { c.email.paymentUpdateUrl = 'javascript:alert(1)'; }, 'email.paymentUpdateUrl:'],
    ['email.supportUrl missing', (c) => { delete c.email.supportUrl; }, 'email.supportUrl:'],
  ])('%s', (_label, change, path) => {
    const problems = problemsOf(shippedWith(change));
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(path)).toBe(true);
  });

  it('tiers empty: reported, and so is every entry that names a tier', () => {
    const problems = problemsOf(shippedWith((c) => { c.tiers = {}; }));
    expect(problems[0]).toMatch(/^tiers: /);
    expect(problems).toContainEqual(expect.stringMatching(/^prices\.price_starter_monthly\.tier: /));
    expect(problems).toContainEqual(expect.stringMatching(/^freeTier: /));
  });

  it('lists every problem at once, each with its path, in the error message', () => {
    const config = shippedWith((c) => {
      c.tiers.starter.maxDomains = -1;
      c.prices.price_business_annual.interval = 'week';
      c.email.from = 'nobody';
    });
    let message = '';
    try {
      parsePlansConfig(config);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('tiers.starter.maxDomains');
    expect(message).toContain('prices.price_business_annual.interval');
    expect(message).toContain('email.from');
  });

  it.each([null, [], 'plans', 42])('rejects a non-object config (%p)', (input) => {
    expect(problemsOf(input)).toEqual(['the config must be a JSON object']);
  });
});
