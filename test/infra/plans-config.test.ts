/**
 * The plans config is validated when the app is built: a bad entry fails `cdk synth` with a
 * message naming it, and the SES permission follows the configured sender.
 */
process.env.CDK_VALIDATION = 'false';

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/config/plans-file';
import { buildStage, resourcesOfType, synthStage } from './support/synth';

const validPlans = (): Record<string, any> => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'config/plans.json'), 'utf8'));

describe('an invalid plans config fails the build, naming the bad entry', () => {
  test('a price mapped to a tier that does not exist', () => {
    const plans = validPlans();
    plans.prices.price_pro_monthly.tier = 'platinum';
    expect(() => buildStage('test', { plans })).toThrow(/prices\.price_pro_monthly\.tier: "platinum" is not one of the tiers/);
  });

  test('a sender that is not an e-mail address', () => {
    const plans = validPlans();
    plans.email.from = 'licenses';
    expect(() => buildStage('live', { plans })).toThrow(/email\.from: must be an e-mail address/);
  });

  test('a plans file given by context: the message names the file and the entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plans-'));
    try {
      const file = path.join(dir, 'plans.json');
      const plans = validPlans();
      plans.tiers.starter.maxDomains = 0;
      fs.writeFileSync(file, JSON.stringify(plans));
      expect(() => buildStage('test', { context: { plansFile: file } })).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*tiers\\.starter\\.maxDomains: must be a positive integer`, 's'));

      fs.writeFileSync(file, '{ "productId": ');
      expect(() => buildStage('test', { context: { plansFile: file } })).toThrow(/is not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a plans config too large for the processor environment', () => {
    const plans = validPlans();
    for (let i = 0; i < 60; i++) plans.prices[`price_padding_${i}_monthly`] = { tier: 'starter', interval: 'month' };
    expect(() => buildStage('test', { plans })).toThrow(/plans config is \d+ bytes as JSON/);
  });
});

test('the SES permission follows the configured sender (address and domain), for both Lambdas that send e-mail', () => {
  const plans = validPlans();
  plans.email.from = 'billing@licenses.acme.io';
  const stage = synthStage('test', { plans });
  const policies = Object.values(resourcesOfType(stage.serviceTemplate, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('ses:SendEmail'));
  expect(policies).toHaveLength(2); // the processor and the grace-escalation job
  for (const policy of policies) {
    const statement = (policy.Properties?.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement
      .find((s) => s.Action === 'ses:SendEmail');
    const resources = JSON.stringify(statement?.Resource);
    expect(resources).toContain(':identity/billing@licenses.acme.io"');
    expect(resources).toContain(':identity/licenses.acme.io"');
    expect(resources).not.toContain('example.com');
  }
});

test('the checked-in config/plans.json is valid and reaches the processor unchanged', () => {
  const stage = synthStage('live');
  expect(stage.plans).toEqual(validPlans());
});
