/** The processor picks up a rotated Traffic Orchestrator API key without a cold start. */
import { licensesWithCurrentKey } from '../../lambdas/processor/workflow-runtime';
import type { LicenseProvider } from '../../lambdas/ports/license-provider';

test('each call uses the key in force; the adapter is rebuilt only when the key changed', async () => {
  const keys = ['key_a', 'key_a', 'key_b'];
  const built: string[] = [];
  const calls: string[] = [];
  const licenses = licensesWithCurrentKey(async () => keys.shift() as string, (apiKey) => {
    built.push(apiKey);
    return { suspend: async (id: string) => void calls.push(`${apiKey}:suspend:${id}`), revoke: async (id: string) => void calls.push(`${apiKey}:revoke:${id}`) } as unknown as LicenseProvider;
  });
  await licenses.suspend('lic_1');
  await licenses.revoke('lic_1');
  await licenses.suspend('lic_2');
  expect(built).toEqual(['key_a', 'key_b']);
  expect(calls).toEqual(['key_a:suspend:lic_1', 'key_a:revoke:lic_1', 'key_b:suspend:lic_2']);
});
