/**
 * The Traffic Orchestrator the local pipeline talks to: a real one (TO_API_URL + TO_API_KEY), or
 * the built-in fake (test/support/fake-traffic-orchestrator.ts) on a local port. The fake keeps
 * its licenses in memory, so they are saved to `<dataDir>/traffic-orchestrator.json` after every
 * processed batch and at shutdown, and given back to it on the next start: the ledger on disk and
 * the licenses it points at survive a restart together.
 *
 * Both can list licenses for the local status endpoint, with the keys masked.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TrafficOrchestratorLicenseProvider } from '../lambdas/adapters/traffic-orchestrator-license-provider';
import {
  startFakeTrafficOrchestrator,
  type FakeLicense,
  type FakeTrafficOrchestrator,
  type FakeTrafficOrchestratorOptions,
} from '../test/support/fake-traffic-orchestrator';
import type { TrafficOrchestratorChoice } from './local-config';

/** The built-in fake's API key: local only, printed in the banner so people can call the fake. */
export const BUILT_IN_TO_API_KEY = 'to_local_dev_key';
const STATE_FILE = 'traffic-orchestrator.json';

/** A license as the local status endpoint shows it: everything but the key, which is masked. */
export interface LicenseView {
  licenseId: string;
  /** The purchase it belongs to (TO's appName). */
  purchase: string | null;
  status: string;
  planId: string;
  expiresAt: string | null;
  createdAt: string | null;
  domains: string[];
  /** The last 4 characters only. */
  licenseKey: string;
}

export interface LocalTrafficOrchestrator {
  builtIn: boolean;
  apiUrl: string;
  apiKey: string;
  /** Licenses, optionally of one purchase. The built-in fake also lists revoked ones (status `revoked`). */
  list(purchase?: string): Promise<LicenseView[]>;
  /** Built-in: writes the licenses to the data folder when they changed. External: nothing to do. */
  save(): Promise<void>;
  stop(): Promise<void>;
}

export class ListNeedsPurchaseError extends Error {}

export async function startLocalTrafficOrchestrator(
  choice: TrafficOrchestratorChoice,
  options: { dataDir: string; timeoutMs: number },
): Promise<LocalTrafficOrchestrator> {
  if (choice.kind === 'external') return external(choice.apiUrl, choice.apiKey, options.timeoutMs);
  return builtIn(choice.port, path.join(options.dataDir, STATE_FILE));
}

function external(apiUrl: string, apiKey: string, timeoutMs: number): LocalTrafficOrchestrator {
  const provider = new TrafficOrchestratorLicenseProvider({ apiUrl, apiKey, timeoutMs });
  return {
    builtIn: false,
    apiUrl,
    apiKey,
    async list(purchase) {
      // A real account can hold any number of licenses; only one purchase's are fetched here.
      if (!purchase) throw new ListNeedsPurchaseError('with a real Traffic Orchestrator, name a purchase: /local/licenses?purchase=<sub_… or pi_…>');
      return (await provider.findByPurchaseRef(purchase)).map((license) => ({
        licenseId: license.licenseId,
        purchase: license.purchaseRef,
        status: license.status,
        planId: license.planId,
        expiresAt: license.expiresAt,
        createdAt: null,
        domains: license.domains,
        licenseKey: mask(license.licenseKey),
      }));
    },
    save: async () => undefined,
    stop: async () => undefined,
  };
}

/** The fake, started with the licenses saved in the data folder (its initialLicenses option). */
async function builtIn(port: number, file: string): Promise<LocalTrafficOrchestrator> {
  const saved = await readLicenses(file);
  const options: FakeTrafficOrchestratorOptions = { port, host: '127.0.0.1', apiKey: BUILT_IN_TO_API_KEY, initialLicenses: saved };
  const fake: FakeTrafficOrchestrator = await startFakeTrafficOrchestrator(options);
  let lastWritten = JSON.stringify(saved);
  let writing: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    writing = writing.then(async () => {
      const licenses = fake.licenses();
      const text = JSON.stringify(licenses);
      if (text === lastWritten) return;
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      // Holds license keys: private to the user, like the outbox.
      await writeFile(tmp, `${JSON.stringify(licenses, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, file);
      lastWritten = text;
    });
    return writing;
  };
  return {
    builtIn: true,
    apiUrl: fake.url,
    apiKey: BUILT_IN_TO_API_KEY,
    async list(purchase) {
      return fake.licenses()
        .filter((license) => purchase === undefined || license.app_name === purchase)
        .map((license) => ({
          licenseId: license.license_id,
          purchase: license.app_name,
          status: license.status,
          planId: license.plan_id,
          expiresAt: license.expires_at,
          createdAt: license.created_at,
          domains: license.domains,
          licenseKey: mask(license.license_key),
        }));
    },
    save,
    async stop() {
      await save();
      await fake.stop();
    },
  };
}

async function readLicenses(file: string): Promise<FakeLicense[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; fix or move it (it holds the built-in Traffic Orchestrator's licenses)`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${file} must hold a JSON list of licenses; fix or move it`);
  return parsed as FakeLicense[];
}

function mask(key: string): string {
  return key.length > 4 ? `…${key.slice(-4)}` : '…';
}
