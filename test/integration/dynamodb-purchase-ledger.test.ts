/** The ledger adapter against dynalite (real DynamoDB API): leases, conditional saves, indexes, failure records. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../../lambdas/adapters/dynamodb-purchase-ledger';
import { newPurchase } from '../../lambdas/domain/purchase';
import { startDynalite, type RunningDynalite } from '../support/dynalite';

let db: RunningDynalite;
let now = 1_800_000_000_000;
let ledger: DynamoDbPurchaseLedger;

beforeAll(async () => {
  db = await startDynalite({ ledger: 'ledger-adapter-test', idempotency: 'idempotency-adapter-test' });
  ledger = new DynamoDbPurchaseLedger(createDocumentClient(db.client), db.tables.ledger, () => now);
});
afterAll(async () => db.stop());

test('a lease admits one worker at a time; an expired lease can be taken over, and the old owner can no longer save', async () => {
  expect(await ledger.acquire('sub_lease', 'worker-a', 1000)).toBeNull();
  await expect(ledger.acquire('sub_lease', 'worker-b', 1000)).rejects.toMatchObject({ reason: 'purchase_busy' });

  const state = newPurchase('sub_lease', 'subscription', 1);
  await ledger.save(state, 'worker-a', null);
  now += 1001;
  expect(await ledger.acquire('sub_lease', 'worker-b', 1000)).toEqual(state);
  await expect(ledger.save(state, 'worker-a', null)).rejects.toMatchObject({ reason: 'purchase_busy' });
  await ledger.release('sub_lease', 'worker-a'); // not the owner any more: a no-op
  await expect(ledger.acquire('sub_lease', 'worker-c', 1000)).rejects.toMatchObject({ reason: 'purchase_busy' });
  await ledger.release('sub_lease', 'worker-b');
  expect(await ledger.acquire('sub_lease', 'worker-c', 1000)).toEqual(state);
});

test('releasing a lease on a purchase that was never saved leaves no row behind', async () => {
  await ledger.acquire('sub_never_saved', 'worker', 1000);
  await ledger.release('sub_never_saved', 'worker');
  const { Item } = await createDocumentClient(db.client).send(new GetCommand({ TableName: db.tables.ledger, Key: { pk: 'PURCHASE#sub_never_saved', sk: 'STATE' } }));
  expect(Item).toBeUndefined();
});

test('indexes find a purchase by payment reference, by customer, and by grace deadline', async () => {
  const state = { ...newPurchase('sub_idx', 'subscription', 1), customerId: 'cus_idx' };
  await ledger.acquire('sub_idx', 'w', 1000);
  await ledger.save(state, 'w', 1_700_000_100);
  await ledger.linkPaymentRef('sub_idx', 'pi_idx');
  await ledger.linkPaymentRef('sub_idx', 'pi_idx'); // idempotent
  expect(await ledger.findPurchaseByPaymentRef('pi_idx')).toBe('sub_idx');
  expect(await ledger.findPurchaseByPaymentRef('pi_other')).toBeNull();
  expect(await ledger.findPurchasesByCustomer('cus_idx')).toEqual(['sub_idx']);
  expect(await ledger.listGraceDue(1_700_000_099)).not.toContain('sub_idx');
  expect(await ledger.listGraceDue(1_700_000_100)).toContain('sub_idx');
  // Out of grace: the sparse index forgets the purchase.
  await ledger.save(state, 'w', null);
  expect(await ledger.listGraceDue(1_800_000_000)).not.toContain('sub_idx');
  await ledger.release('sub_idx', 'w');
});

test('history is append-only and returned in order; failure records count attempts', async () => {
  const entry = { purchaseId: 'sub_hist', sourceType: 't', outcome: 'applied', notes: [], before: null, after: {} };
  await ledger.appendHistory({ ...entry, sourceId: 'evt_1', atMs: now });
  await ledger.appendHistory({ ...entry, sourceId: 'evt_2', atMs: now + 1 });
  await expect(ledger.appendHistory({ ...entry, sourceId: 'evt_1', atMs: now })).rejects.toThrow();
  expect((await ledger.history('sub_hist')).map((e) => e.sourceId)).toEqual(['evt_1', 'evt_2']);

  const failure = { eventId: 'evt_fail', eventType: 'invoice.paid', purchaseId: null, reason: 'unknown_purchase' as const, retryable: true, message: 'm' };
  await ledger.recordFailure(failure, now);
  await ledger.recordFailure(failure, now + 5);
  expect(await ledger.getFailure('evt_fail')).toMatchObject({ attempts: 2, firstAtMs: now, lastAtMs: now + 5, reason: 'unknown_purchase' });
  await ledger.clearFailure('evt_fail');
  expect(await ledger.getFailure('evt_fail')).toBeNull();
});
