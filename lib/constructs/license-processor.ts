/**
 * The license processor: consumes the provisioning queue in batches, reports per-message failures,
 * and turns each Stripe event into license actions (TO API), ledger writes and e-mails (SES).
 * Its role can touch exactly its two tables, its two queues, the TO key secret and the SES sender.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/config/env';
import { SERVICES } from '../../lambdas/observability/metric-names';
import { LambdaFunction, lambdaHandler } from './lambda-function';
import { grantPurchaseWorkflow, purchaseWorkflowEnvironment, type PurchaseWorkflowProps } from './purchase-workflow-access';

export interface LicenseProcessorProps extends PurchaseWorkflowProps {
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number;
  readonly idempotencyExpirySeconds: number;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ledgerIndexNames: readonly string[];
  readonly idempotencyTable: dynamodb.ITable;
}

export class LicenseProcessor extends Construct {
  readonly function: LambdaFunction;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: LicenseProcessorProps) {
    super(scope, id);

    this.function = new LambdaFunction(this, 'Function', {
      handlerSpec: lambdaHandler('Processor'),
      serviceName: SERVICES.processor,
      description: 'Turns queued Stripe billing events into Traffic Orchestrator license actions',
      timeout: props.timeout,
      memorySize: 1024,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        ...purchaseWorkflowEnvironment(props),
        [ENV.idempotencyTable]: props.idempotencyTable.tableName,
        [ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [ENV.idempotencyExpirySeconds]: String(props.idempotencyExpirySeconds),
      },
    });

    // Dispute and refund events find their purchase through the indexes, so the processor gets all of them.
    grantPurchaseWorkflow(this.function, props, props.ledgerIndexNames);
    this.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'IdempotencyRecords',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [props.idempotencyTable.tableArn],
    }));
    // Final failures (bad business input, 4xx from TO) go straight to the DLQ with their reason.
    this.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DeadLetterFinalFailures',
      actions: ['sqs:SendMessage'],
      resources: [props.deadLetterQueue.queueArn],
    }));

    // Adds what polling needs on the main queue (receive, delete, change visibility, attributes).
    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxBatchingWindow: props.batchingWindow.toSeconds() > 0 ? props.batchingWindow : undefined,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.function.addEventSource(this.eventSource);
  }
}
