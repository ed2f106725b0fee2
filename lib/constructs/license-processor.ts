/**
 * The license processor: consumes the provisioning queue in batches, reports per-message failures,
 * and turns each Stripe event into license actions (TO API), ledger writes and e-mails (SES).
 * Its role can touch exactly its two tables, its two queues, the TO key secret and the SES sender.
 */
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, type Stage } from '../../lambdas/config/env';
import type { PlansConfig } from '../../lambdas/domain/plans';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { LambdaFunction, lambdaHandler } from './lambda-function';

/** Lambda's limit is 4 KiB for all variables together; leave room for the others. */
export const MAX_PLANS_CONFIG_ENV_BYTES = 3072;

export interface LicenseProcessorProps {
  readonly stage: Stage;
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number;
  readonly idempotencyExpirySeconds: number;
  readonly purchaseLeaseSeconds: number;
  readonly toApiUrl: string;
  readonly toTimeoutMs: number;
  readonly plans: PlansConfig;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ledgerTable: dynamodb.ITable;
  readonly ledgerIndexNames: readonly string[];
  readonly idempotencyTable: dynamodb.ITable;
  readonly toApiKeySecret: secretsmanager.ISecret;
  readonly logRetentionDays: number;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** Identity ARNs SES checks for a send from `from`: the address itself and its domain (either may be the verified identity). */
export function sesSenderIdentityArns(stack: Stack, from: string): string[] {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return [from, domain].map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }));
}

export class LicenseProcessor extends Construct {
  readonly function: LambdaFunction;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: LicenseProcessorProps) {
    super(scope, id);

    const plansJson = JSON.stringify(props.plans);
    if (Buffer.byteLength(plansJson) > MAX_PLANS_CONFIG_ENV_BYTES) {
      throw new Error(`The plans config is ${Buffer.byteLength(plansJson)} bytes as JSON; the processor receives it as an environment variable, `
        + `which must stay under ${MAX_PLANS_CONFIG_ENV_BYTES} bytes (Lambda allows 4 KiB for all variables)`);
    }

    this.function = new LambdaFunction(this, 'Function', {
      handlerSpec: lambdaHandler('Processor'),
      serviceName: SERVICES.processor,
      description: 'Turns queued Stripe billing events into Traffic Orchestrator license actions',
      timeout: props.timeout,
      memorySize: 1024,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        [ENV.stage]: props.stage,
        [ENV.ledgerTable]: props.ledgerTable.tableName,
        [ENV.idempotencyTable]: props.idempotencyTable.tableName,
        [ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [ENV.idempotencyExpirySeconds]: String(props.idempotencyExpirySeconds),
        [ENV.purchaseLeaseSeconds]: String(props.purchaseLeaseSeconds),
        [ENV.toApiUrl]: props.toApiUrl,
        [ENV.toApiKeySecretId]: props.toApiKeySecret.secretArn,
        [ENV.toTimeoutMs]: String(props.toTimeoutMs),
        [ENV.plansConfig]: plansJson,
        [ENV.notifier]: 'ses',
      },
    });

    this.grantLeastPrivilege(props);

    // Adds what polling needs on the main queue (receive, delete, change visibility, attributes).
    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxBatchingWindow: props.batchingWindow.toSeconds() > 0 ? props.batchingWindow : undefined,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.function.addEventSource(this.eventSource);
  }

  private grantLeastPrivilege(props: LicenseProcessorProps): void {
    const fn = this.function;
    const itemActions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'LedgerItems',
      actions: [...itemActions, 'dynamodb:Query'],
      resources: [props.ledgerTable.tableArn],
    }));
    // Named indexes rather than index/*: a new index needs a deliberate grant.
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'LedgerIndexQueries',
      actions: ['dynamodb:Query'],
      resources: props.ledgerIndexNames.map((name) => `${props.ledgerTable.tableArn}/index/${name}`),
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'IdempotencyRecords',
      actions: itemActions,
      resources: [props.idempotencyTable.tableArn],
    }));
    // Final failures (bad business input, 4xx from TO) go straight to the DLQ with their reason.
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DeadLetterFinalFailures',
      actions: ['sqs:SendMessage'],
      resources: [props.deadLetterQueue.queueArn],
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'TrafficOrchestratorApiKey',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [props.toApiKeySecret.secretArn],
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'SendLicenseEmails',
      actions: ['ses:SendEmail'],
      resources: sesSenderIdentityArns(Stack.of(this), props.plans.email.from),
    }));
  }
}
