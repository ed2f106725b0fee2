/**
 * The ledger table (system of record for every purchase and its license) and the Powertools
 * idempotency table. Key schemas come from lambdas/adapters/ledger-schema.ts, which the Lambda
 * code and the local emulators share.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  IDEMPOTENCY_KEYS,
  IDEMPOTENCY_TTL_ATTRIBUTE,
  LEDGER_INDEXES,
  LEDGER_KEYS,
  LEDGER_TTL_ATTRIBUTE,
  indexSortKeyType,
} from '../../lambdas/adapters/ledger-schema';
import { stageResourceNames } from '../config/stage-config';

export interface LedgerTablesProps {
  readonly namePrefix: string;
  /** Live: RETAIN, so deleting the stack never deletes purchases. */
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

const S = dynamodb.AttributeType.STRING;
const N = dynamodb.AttributeType.NUMBER;

/** Settings both tables share: on demand, point-in-time recovery, KMS encryption. */
function commonTableProps(props: LedgerTablesProps): Partial<dynamodb.TableProps> {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: props.deletionProtection,
    removalPolicy: props.removalPolicy,
  };
}

export class LedgerTables extends Construct {
  readonly ledger: dynamodb.Table;
  readonly idempotency: dynamodb.Table;
  /** Names of the ledger table's global secondary indexes. */
  readonly ledgerIndexNames: string[];

  constructor(scope: Construct, id: string, props: LedgerTablesProps) {
    super(scope, id);

    this.ledger = new dynamodb.Table(this, 'Ledger', {
      ...commonTableProps(props),
      tableName: stageResourceNames(props.namePrefix).ledgerTable,
      partitionKey: { name: LEDGER_KEYS.partitionKey, type: S },
      sortKey: { name: LEDGER_KEYS.sortKey, type: S },
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
    });
    for (const index of Object.values(LEDGER_INDEXES)) {
      this.ledger.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: S },
        sortKey: { name: index.sortKey, type: indexSortKeyType(index) === 'N' ? N : S },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    this.ledgerIndexNames = Object.values(LEDGER_INDEXES).map((index) => index.name);

    this.idempotency = new dynamodb.Table(this, 'Idempotency', {
      ...commonTableProps(props),
      tableName: stageResourceNames(props.namePrefix).idempotencyTable,
      partitionKey: { name: IDEMPOTENCY_KEYS.partitionKey, type: S },
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
    });
  }
}
