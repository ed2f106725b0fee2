/**
 * An in-process DynamoDB (dynalite, in memory) for integration tests, with the deployed tables
 * created (the same starter as the local pipeline). AWS SDK clients built afterwards reach it
 * through AWS_ENDPOINT_URL_DYNAMODB.
 */
import { startDynalite as startLocalDynalite, type LocalDynamoDb } from '../../local/local-dynamodb';

export type RunningDynalite = LocalDynamoDb;

export async function startDynalite(tables = { ledger: 'ledger-test', idempotency: 'idempotency-test' }): Promise<RunningDynalite> {
  const db = await startLocalDynalite({ tables });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
  return db;
}
