/**
 * The stack points each function at `<entry>#<handler>` from LAMBDA_HANDLERS; the TypeScript module
 * must export a function under that name (checked on the source, before any bundling).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAMBDA_HANDLERS } from '../../lib/constructs/lambda-function';
import { PROJECT_ROOT } from '../../lib/config/plans-file';

test('the handler ids are unique', () => {
  expect(new Set(LAMBDA_HANDLERS.map((h) => h.id)).size).toBe(LAMBDA_HANDLERS.length);
});

test.each(LAMBDA_HANDLERS.map((spec) => [`${spec.entry}#${spec.handler}`, spec] as const))('%s is an exported function', (_name, spec) => {
  const file = path.join(PROJECT_ROOT, spec.entry);
  expect(fs.existsSync(file)).toBe(true);
  // require (not import()): jest transpiles the TypeScript module on the way in.
  const module = require(file) as Record<string, unknown>;
  expect(typeof module[spec.handler]).toBe('function');
});
