/**
 * Everything that holds data or credentials: the provisioning queue and its DLQ, the ledger and
 * idempotency tables, the secrets and the alarm topic. Kept apart from the service stack so the
 * code can be redeployed (or the service stack replaced) without touching state; on the live stage
 * all of it is retained when the stack is deleted.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { LedgerTables } from '../constructs/ledger-tables';
import { ProvisioningQueue } from '../constructs/provisioning-queue';
import { ServiceSecrets } from '../constructs/service-secrets';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

export class StatefulStack extends Stack {
  readonly provisioning: ProvisioningQueue;
  readonly tables: LedgerTables;
  readonly secrets: ServiceSecrets;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const dataRemovalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.provisioning = new ProvisioningQueue(this, 'Provisioning', {
      namePrefix: config.namePrefix,
      maxReceiveCount: config.maxReceiveCount,
      processorTimeout: Duration.seconds(config.processorTimeoutSeconds),
      batchingWindow: Duration.seconds(config.batchingWindowSeconds),
      removalPolicy: dataRemovalPolicy,
    });

    this.tables = new LedgerTables(this, 'Tables', {
      namePrefix: config.namePrefix,
      removalPolicy: dataRemovalPolicy,
      deletionProtection: config.deletionProtection,
    });

    this.secrets = new ServiceSecrets(this, 'Secrets', {
      namePrefix: config.namePrefix,
      removalPolicy: dataRemovalPolicy,
    });

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${config.namePrefix}-alarms`,
      displayName: `Stripe licensing (${config.stage}) alarms`,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so CloudWatch alarms of this account need an explicit allow.
    this.alarmTopic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.alarmTopic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
    }));
    if (config.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    }

    new CfnOutput(this, 'ProvisioningQueueUrl', { value: this.provisioning.queue.queueUrl, description: 'Provisioning queue (ingest → processor)' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.provisioning.deadLetterQueue.queueUrl, description: 'Dead-letter queue: inspect and redrive (docs/runbook.md)' });
    new CfnOutput(this, 'LedgerTableName', { value: this.tables.ledger.tableName });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.tables.idempotency.tableName });
    new CfnOutput(this, 'StripeSigningSecretArn', { value: this.secrets.stripeSigningSecret.secretArn, description: 'Put {"signingSecrets":["whsec_..."]} here' });
    new CfnOutput(this, 'TrafficOrchestratorApiKeySecretArn', { value: this.secrets.toApiKey.secretArn, description: 'Put the Traffic Orchestrator API key here' });
    new CfnOutput(this, 'StripeApiKeySecretArn', { value: this.secrets.stripeApiKey.secretArn, description: 'Put a Stripe restricted API key (Events: Read) here' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Every alarm notifies this topic' });
  }
}
