/**
 * cdk-nag AwsSolutions and CDK's own CloudFormation validation, as `cdk synth` runs them. This is
 * the one infra test file that keeps CDK validation on.
 */
delete process.env.CDK_VALIDATION;

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../../lib/config/plans-file';
import { buildStage } from './support/synth';

/** Every acknowledgement recorded in the tree: rule id (without CDK's `Annotation::` prefix), reason, where. */
function acknowledgements(root: IConstruct): Array<{ id: string; reason: string; path: string }> {
  const found: Array<{ id: string; reason: string; path: string }> = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^annotation::/i, ''), reason, path: construct.node.path });
      }
    }
  }
  return found;
}

describe.each(['test', 'live'] as const)('%s stage', (stage) => {
  const built = buildStage(stage, { nagChecks: true });

  test('synth with AwsSolutionsChecks and CloudFormation validation succeeds', () => {
    // A finding of error severity makes an in-memory synth throw with the full report.
    expect(() => built.app.synth()).not.toThrow();
  });

  test('zero unacknowledged AwsSolutions findings, warnings included', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('every acknowledgement has a specific written reason', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length).toBeGreaterThanOrEqual(80);
    }
  });
});

test('docs/deploy.md lists every acknowledged rule', () => {
  const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/deploy.md'), 'utf8');
  const ids = new Set(['test', 'live'].flatMap((stage) => acknowledgements(buildStage(stage as 'test' | 'live').app).map((a) => a.id)));
  for (const id of ids) expect(doc).toContain(id);
});

test('a non-compliant resource fails synth, naming the rule (the check is live)', () => {
  const built = buildStage('test', { nagChecks: true });
  // No enforceSSL, no DLQ: AwsSolutions-SQS3 and -SQS4 must fire.
  new sqs.Queue(built.stateful, 'CarelessQueue');
  expect(() => built.app.synth()).toThrow(/AwsSolutions-SQS4/);
});
