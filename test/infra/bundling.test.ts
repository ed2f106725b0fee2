/**
 * Bundles every Lambda in LAMBDA_HANDLERS the way Lambda will run it (esbuild: node 22, CommonJS,
 * AWS SDK v3 left to the runtime) and loads the result. Deliberately WITHOUT the CDK's
 * `@traffic-orchestrator/client` alias: the Lambda source itself must survive that SDK's broken
 * `import` export (its `exports` map names a dist/index.mjs it does not ship).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { LAMBDA_HANDLERS, TO_CLIENT_CJS_ENTRY } from '../../lib/constructs/lambda-function';
import { PROJECT_ROOT } from '../../lib/config/plans-file';

// Inside the project (git-ignored), so `require` finds node_modules for the SDK left external.
const outRoot = path.join(PROJECT_ROOT, '.bundle-test');
let outDir: string;

beforeAll(() => {
  fs.mkdirSync(outRoot, { recursive: true });
  outDir = fs.mkdtempSync(path.join(outRoot, 'run-'));
});

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
  try {
    fs.rmdirSync(outRoot); // only succeeds when empty: another run may still be using it
  } catch {
    // still in use
  }
});

const baseOptions: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The nodejs22.x runtime provides AWS SDK v3; NodejsFunction leaves it out the same way.
  external: ['@aws-sdk/*'],
  logLevel: 'silent',
};

describe.each(LAMBDA_HANDLERS.map((spec) => [spec.id, spec] as const))('%s', (_id, spec) => {
  test(`${spec.entry} bundles without the alias and exports ${spec.handler}() when loaded`, async () => {
    const outfile = path.join(outDir, `${spec.id}.js`);
    const result = await esbuild.build({ ...baseOptions, entryPoints: [path.join(PROJECT_ROOT, spec.entry)], outfile });
    expect(result.errors).toEqual([]);

    const bundle = require(outfile) as Record<string, unknown>;
    expect(typeof bundle[spec.handler]).toBe('function');
  });
});

describe('the @traffic-orchestrator/client packaging bug (why the source uses `import TO = require(...)`)', () => {
  let probeEntry: string;

  beforeAll(() => {
    probeEntry = path.join(outDir, 'named-import-probe.ts');
    fs.writeFileSync(probeEntry, "import { TrafficOrchestrator } from '@traffic-orchestrator/client';\nexport const kind = typeof TrafficOrchestrator;\n");
  });

  test('a named ES import of the SDK does not bundle', async () => {
    await expect(esbuild.build({ ...baseOptions, entryPoints: [probeEntry], outfile: path.join(outDir, 'probe-broken.js') }))
      .rejects.toThrow(/Could not resolve "@traffic-orchestrator\/client"/);
  });

  test('the alias the CDK bundling adds (to the CommonJS build) repairs it', async () => {
    const outfile = path.join(outDir, 'probe-aliased.js');
    await esbuild.build({ ...baseOptions, entryPoints: [probeEntry], outfile, alias: { '@traffic-orchestrator/client': TO_CLIENT_CJS_ENTRY } });
    expect((require(outfile) as { kind: string }).kind).toBe('function');
  });
});
