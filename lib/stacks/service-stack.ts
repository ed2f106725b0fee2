/**
 * The stateless part: webhook API, ingest and processor Lambdas, the queue event source, the
 * scheduled jobs (grace escalation, reconciliation) with their schedules, alarms and dashboard.
 * Receives the stateful resources through props (CloudFormation exports underneath).
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/config/env';
import type { PlansConfig } from '../../lambdas/domain/plans';
import { SERVICES } from '../../lambdas/observability/metric-names';
import type { StageConfig } from '../config/stage-config';
import { OperationsAlarms } from '../constructs/alarms';
import { LambdaFunction, lambdaHandler } from '../constructs/lambda-function';
import { GraceEscalation } from '../constructs/grace-escalation';
import { LicenseProcessor } from '../constructs/license-processor';
import { Reconciliation } from '../constructs/reconciliation';
import { WebhookApi } from '../constructs/webhook-api';
import type { StatefulStack } from './stateful-stack';

export interface ServiceStackProps extends StackProps {
  readonly config: StageConfig;
  readonly plans: PlansConfig;
  readonly stateful: StatefulStack;
}

export class ServiceStack extends Stack {
  readonly ingestFunction: LambdaFunction;
  readonly webhookApi: WebhookApi;
  readonly processor: LicenseProcessor;
  readonly graceEscalation: GraceEscalation;
  readonly reconciliation: Reconciliation;
  readonly operations: OperationsAlarms;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, plans, stateful } = props;
    const { queue, deadLetterQueue } = stateful.provisioning;
    const logRemovalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.ingestFunction = new LambdaFunction(this, 'Ingest', {
      handlerSpec: lambdaHandler('Ingest'),
      serviceName: SERVICES.ingest,
      description: 'Verifies Stripe webhooks and enqueues them for the license processor',
      // Stripe treats a slow answer as a failure; ingest only verifies and enqueues.
      timeout: Duration.seconds(10),
      memorySize: 512,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy,
      environment: {
        [ENV.stage]: config.stage,
        [ENV.queueUrl]: queue.queueUrl,
        [ENV.signingSecretId]: stateful.secrets.stripeSigningSecret.secretArn,
        [ENV.maxBodyBytes]: String(config.maxBodyBytes),
      },
    });
    // Exactly what verify-and-enqueue needs; grant* helpers would add GetQueueAttributes/DescribeSecret.
    this.ingestFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'EnqueueVerifiedEvents',
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }));
    this.ingestFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadSigningSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [stateful.secrets.stripeSigningSecret.secretArn],
    }));

    this.webhookApi = new WebhookApi(this, 'WebhookApi', {
      namePrefix: config.namePrefix,
      stageName: config.stage,
      ingestFunction: this.ingestFunction,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy,
    });

    // What both Lambdas that drive the purchase workflow need (ledger, TO, e-mail).
    const workflow = {
      stage: config.stage,
      purchaseLeaseSeconds: config.purchaseLeaseSeconds,
      toApiUrl: config.toApiUrl,
      toTimeoutMs: config.toTimeoutMs,
      plans,
      ledgerTable: stateful.tables.ledger,
      toApiKeySecret: stateful.secrets.toApiKey,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy,
    };

    this.processor = new LicenseProcessor(this, 'Processor', {
      ...workflow,
      timeout: Duration.seconds(config.processorTimeoutSeconds),
      batchSize: config.batchSize,
      batchingWindow: Duration.seconds(config.batchingWindowSeconds),
      maxConcurrency: config.maxConcurrency,
      idempotencyExpirySeconds: config.idempotencyExpirySeconds,
      queue,
      deadLetterQueue,
      ledgerIndexNames: stateful.tables.ledgerIndexNames,
      idempotencyTable: stateful.tables.idempotency,
    });

    this.graceEscalation = new GraceEscalation(this, 'GraceEscalation', {
      ...workflow,
      namePrefix: config.namePrefix,
      interval: Duration.minutes(config.graceEscalationIntervalMinutes),
    });

    this.reconciliation = new Reconciliation(this, 'Reconciliation', {
      stage: config.stage,
      namePrefix: config.namePrefix,
      interval: Duration.minutes(config.reconciliationIntervalMinutes),
      lookback: Duration.hours(config.reconciliationLookbackHours),
      stripeApiUrl: config.stripeApiUrl,
      stripeTimeoutMs: config.stripeTimeoutMs,
      stripeApiKeySecret: stateful.secrets.stripeApiKey,
      ledgerTable: stateful.tables.ledger,
      queue,
      scheduleGroup: this.graceEscalation.scheduleGroup,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy,
    });

    this.operations = new OperationsAlarms(this, 'Operations', {
      namePrefix: config.namePrefix,
      alarmTopic: stateful.alarmTopic,
      queue,
      deadLetterQueue,
      ingestFunction: this.ingestFunction,
      processorFunction: this.processor.function,
      graceEscalationFunction: this.graceEscalation.function,
      reconciliationFunction: this.reconciliation.function,
      scheduleGroup: this.graceEscalation.scheduleGroup,
      api: this.webhookApi.api,
    });

    new CfnOutput(this, 'WebhookUrl', { value: this.webhookApi.webhookUrl, description: 'Register this URL as the Stripe webhook endpoint' });
    new CfnOutput(this, 'IngestFunctionName', { value: this.ingestFunction.functionName });
    new CfnOutput(this, 'ProcessorFunctionName', { value: this.processor.function.functionName });
    new CfnOutput(this, 'GraceEscalationFunctionName', { value: this.graceEscalation.function.functionName });
    new CfnOutput(this, 'ReconciliationFunctionName', { value: this.reconciliation.function.functionName, description: 'Run by hand: aws lambda invoke --function-name <this> out.json' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
  }
}
