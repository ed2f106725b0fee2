/**
 * The plans configuration: the one file a platform engineer edits (config/plans.json). It is
 * validated once, at synth (so `cdk synth` fails naming the bad entry) and again when a Lambda
 * starts (it arrives there as the PLANS_CONFIG environment variable). Pure: no I/O here.
 */

export interface TierConfig {
  /** Traffic Orchestrator plan id the license is created with. */
  planId: string;
  maxDomains: number;
  features: string[];
}

export interface PriceConfig {
  tier: string;
  interval: 'month' | 'year';
}

export interface GraceLadderConfig {
  /** Days after the first failed payment: reminder e-mail with the payment-update link. */
  reminderDay: number;
  /** Days after the first failed payment: downgrade to the free tier's limits. */
  downgradeDay: number;
  /** Days after the first failed payment: suspend. */
  suspendDay: number;
}

export interface EmailConfig {
  /** Sender address; must be a verified SES identity in the deployed account. */
  from: string;
  productName: string;
  paymentUpdateUrl: string;
  supportUrl: string;
}

export interface PlansConfig {
  /** Expected `to_product_id` in Checkout metadata. */
  productId: string;
  tiers: Record<string, TierConfig>;
  /** Stripe price id → tier. */
  prices: Record<string, PriceConfig>;
  /** Tier used while a license is downgraded by dunning. */
  freeTier: string;
  grace: GraceLadderConfig;
  email: EmailConfig;
}

export class PlansConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid plans config:\n- ${problems.join('\n- ')}`);
    this.name = 'PlansConfigError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Validates an unknown value (parsed JSON) and returns it typed, or throws PlansConfigError listing every problem by path. */
export function parsePlansConfig(input: unknown): PlansConfig {
  const problems: string[] = [];
  if (!isObject(input)) throw new PlansConfigError(['the config must be a JSON object']);

  if (!isNonEmptyString(input.productId)) problems.push('productId: must be a non-empty string');

  const tiers = input.tiers;
  if (!isObject(tiers) || Object.keys(tiers).length === 0) {
    problems.push('tiers: must be an object with at least one tier');
  } else {
    for (const [name, tier] of Object.entries(tiers)) {
      const at = `tiers.${name}`;
      if (!isObject(tier)) { problems.push(`${at}: must be an object`); continue; }
      if (!isNonEmptyString(tier.planId)) problems.push(`${at}.planId: must be a non-empty string`);
      if (!isPositiveInt(tier.maxDomains)) problems.push(`${at}.maxDomains: must be a positive integer`);
      if (!Array.isArray(tier.features) || !tier.features.every(isNonEmptyString)) problems.push(`${at}.features: must be a list of strings`);
    }
  }
  const tierNames = isObject(tiers) ? Object.keys(tiers) : [];

  const prices = input.prices;
  if (!isObject(prices) || Object.keys(prices).length === 0) {
    problems.push('prices: must map at least one Stripe price id to a tier');
  } else {
    for (const [priceId, price] of Object.entries(prices)) {
      const at = `prices.${priceId}`;
      if (!priceId.startsWith('price_')) problems.push(`${at}: a Stripe price id starts with "price_"`);
      if (!isObject(price)) { problems.push(`${at}: must be an object`); continue; }
      if (!isNonEmptyString(price.tier) || !tierNames.includes(price.tier)) problems.push(`${at}.tier: "${String(price.tier)}" is not one of the tiers (${tierNames.join(', ')})`);
      if (price.interval !== 'month' && price.interval !== 'year') problems.push(`${at}.interval: must be "month" or "year"`);
    }
  }

  if (!isNonEmptyString(input.freeTier) || !tierNames.includes(input.freeTier)) {
    problems.push(`freeTier: "${String(input.freeTier)}" is not one of the tiers (${tierNames.join(', ')})`);
  }

  const grace = input.grace;
  if (!isObject(grace)) {
    problems.push('grace: must be an object with reminderDay, downgradeDay, suspendDay');
  } else {
    for (const key of ['reminderDay', 'downgradeDay', 'suspendDay'] as const) {
      if (!isPositiveInt(grace[key])) problems.push(`grace.${key}: must be a positive integer (days)`);
    }
    if (isPositiveInt(grace.reminderDay) && isPositiveInt(grace.downgradeDay) && isPositiveInt(grace.suspendDay)
      && !(grace.reminderDay < grace.downgradeDay && grace.downgradeDay < grace.suspendDay)) {
      problems.push('grace: days must increase: reminderDay < downgradeDay < suspendDay');
    }
  }

  const email = input.email;
  if (!isObject(email)) {
    problems.push('email: must be an object with from, productName, paymentUpdateUrl, supportUrl');
  } else {
    if (!isNonEmptyString(email.from) || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.from)) problems.push('email.from: must be an e-mail address');
    if (!isNonEmptyString(email.productName)) problems.push('email.productName: must be a non-empty string');
    for (const key of ['paymentUpdateUrl', 'supportUrl'] as const) {
      if (!isNonEmptyString(email[key]) || !/^https?:\/\//.test(email[key] as string)) problems.push(`email.${key}: must be an http(s) URL`);
    }
  }

  if (problems.length > 0) throw new PlansConfigError(problems);
  return input as unknown as PlansConfig;
}

/** The tier a Stripe price maps to, or undefined when the price is not configured. */
export function tierForPrice(plans: PlansConfig, priceId: string | null | undefined): string | undefined {
  return priceId ? plans.prices[priceId]?.tier : undefined;
}
