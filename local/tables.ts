/** Creates the ledger and idempotency tables on a DynamoDB endpoint (dynalite), with the deployed key schema. */
import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_KEYS, LEDGER_INDEXES, LEDGER_KEYS, indexSortKeyType } from '../lambdas/adapters/ledger-schema';

export async function createTables(client: DynamoDBClient, names: { ledger: string; idempotency: string }): Promise<void> {
  const indexes = Object.values(LEDGER_INDEXES);
  await createIfMissing(client, new CreateTableCommand({
    TableName: names.ledger,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: LEDGER_KEYS.partitionKey, KeyType: 'HASH' }, { AttributeName: LEDGER_KEYS.sortKey, KeyType: 'RANGE' }],
    // Every key attribute of the table and its indexes, once each (several indexes sort by pk).
    AttributeDefinitions: [...new Map<string, 'S' | 'N'>([
      [LEDGER_KEYS.partitionKey, 'S'],
      [LEDGER_KEYS.sortKey, 'S'],
      ...indexes.flatMap((index): Array<[string, 'S' | 'N']> => [[index.partitionKey, 'S'], [index.sortKey, indexSortKeyType(index)]]),
    ])].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }, { AttributeName: index.sortKey, KeyType: 'RANGE' as const }],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  }));
  await createIfMissing(client, new CreateTableCommand({
    TableName: names.idempotency,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: IDEMPOTENCY_KEYS.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_KEYS.partitionKey, AttributeType: 'S' }],
  }));
}

async function createIfMissing(client: DynamoDBClient, command: CreateTableCommand): Promise<void> {
  try {
    await client.send(command);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
