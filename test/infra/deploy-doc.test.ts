/** docs/deploy.md and docs/runbook.md stay in step with the code they document. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/billing-event';
import { PROJECT_ROOT } from '../../lib/config/plans-file';
import { CONTEXT_KEYS } from '../../lib/config/stage-config';
import { ALARM_SLUGS, RUNBOOK_PATH } from '../../lib/constructs/alarms';

const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/deploy.md'), 'utf8');

test('the Stripe event list is exactly HANDLED_EVENT_TYPES', () => {
  const block = /select exactly these events[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block?.trim().split('\n')).toEqual([...HANDLED_EVENT_TYPES]);
  const apiEvents = [...doc.matchAll(/enabled_events\[\]=([a-z_.]+)/g)].map((m) => m[1]);
  expect(apiEvents).toEqual([...HANDLED_EVENT_TYPES]);
});

test('every context key is documented', () => {
  for (const key of Object.values(CONTEXT_KEYS)) expect(doc).toContain(`\`${key}\``);
});

test('the runbook has exactly one section per alarm, headed by its slug (the anchor each alarm links to)', () => {
  const runbook = fs.readFileSync(path.join(PROJECT_ROOT, RUNBOOK_PATH), 'utf8');
  const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
  expect([...sections].sort()).toEqual([...ALARM_SLUGS].sort());
});
