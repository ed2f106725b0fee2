/**
 * An in-process DynamoDB (dynalite) for integration tests, with the deployed tables created.
 * AWS SDK clients built after `startDynalite()` reach it through AWS_ENDPOINT_URL_DYNAMODB.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables } from '../../local/tables';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs: number; path?: string }) => import('node:http').Server;

export interface RunningDynalite {
  endpoint: string;
  client: DynamoDBClient;
  tables: { ledger: string; idempotency: string };
  stop(): Promise<void>;
}

export async function startDynalite(tables = { ledger: 'ledger-test', idempotency: 'idempotency-test' }): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  const client = new DynamoDBClient({ endpoint });
  await createTables(client, tables);
  return {
    endpoint,
    client,
    tables,
    stop: () => new Promise((resolve) => { client.destroy(); server.close(() => resolve()); }),
  };
}
