/**
 * DynamoDB for the local pipeline: dynalite (the real DynamoDB API, in process) with its LevelDB
 * files under `<dataDir>/dynamodb`, so the ledger and the idempotency records survive a restart.
 * The tables get the deployed key schema (local/tables.ts). The caller holds the data folder's
 * lock (data-folder-lock.ts): LevelDB takes one process per folder.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables } from './tables';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs: number; path?: string }) => Server;

export const LOCAL_TABLES = { ledger: 'stripe-licensing-local-ledger', idempotency: 'stripe-licensing-local-idempotency' } as const;

export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  folder: string;
  stop(): Promise<void>;
}

export async function startLocalDynamoDb(dataDir: string): Promise<LocalDynamoDb> {
  const folder = path.join(dataDir, 'dynamodb');
  const server = dynalite({ createTableMs: 0, path: folder });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const stop = async (): Promise<void> => {
    client.destroy();
    // Keep-alive sockets of other clients would hold the close; dynalite then closes LevelDB (flushing it).
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await createTables(client, LOCAL_TABLES);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, client, folder, stop };
}
