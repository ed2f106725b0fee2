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
  /** null when in memory. */
  folder: string | null;
  tables: { ledger: string; idempotency: string };
  stop(): Promise<void>;
}

export interface DynaliteOptions {
  /** LevelDB folder; omitted = in memory (tests). */
  folder?: string;
  tables: { ledger: string; idempotency: string };
}

/** dynalite on a free loopback port, with the deployed tables created. */
export async function startDynalite(options: DynaliteOptions): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, path: options.folder });
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
    await createTables(client, options.tables);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, client, folder: options.folder ?? null, tables: options.tables, stop };
}

export function startLocalDynamoDb(dataDir: string): Promise<LocalDynamoDb> {
  return startDynalite({ folder: path.join(dataDir, 'dynamodb'), tables: LOCAL_TABLES });
}
