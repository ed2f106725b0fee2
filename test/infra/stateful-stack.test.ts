/** The stateful stack: queues, tables, secrets and the alarm topic, for both stages. */
process.env.CDK_VALIDATION = 'false';

import { Match } from 'aws-cdk-lib/assertions';
import { parseSigningSecrets } from '../../lambdas/adapters/signing-secret-sources';
import { checkStripeKeyMode } from '../../lambdas/reconciliation/reconciliation-config';
import { STRIPE_API_KEY_PLACEHOLDER, TO_API_KEY_PLACEHOLDER } from '../../lib/constructs/service-secrets';
import { IDEMPOTENCY_TTL_ATTRIBUTE, LEDGER_INDEXES, LEDGER_TTL_ATTRIBUTE } from '../../lambdas/adapters/ledger-schema';
import { visibilityTimeoutFor, VISIBILITY_TIMEOUT_FACTOR } from '../../lib/constructs/provisioning-queue';
import { Duration } from 'aws-cdk-lib';
import { arnOf, onlyResource, refOf, resourcesOfType, synthStage, type SynthesizedStage } from './support/synth';

const stages: Record<'test' | 'live', SynthesizedStage> = { test: synthStage('test'), live: synthStage('live') };
const FOURTEEN_DAYS = 14 * 86_400;

const mainQueue = (s: SynthesizedStage) => onlyResource(s.statefulTemplate, 'AWS::SQS::Queue', (p) => p.RedrivePolicy !== undefined);
const deadLetterQueue = (s: SynthesizedStage) => onlyResource(s.statefulTemplate, 'AWS::SQS::Queue', (p) => p.RedrivePolicy === undefined);
const ledgerTable = (s: SynthesizedStage) => onlyResource(s.statefulTemplate, 'AWS::DynamoDB::Table', (p) => String(p.TableName).endsWith('-ledger'));
const idempotencyTable = (s: SynthesizedStage) => onlyResource(s.statefulTemplate, 'AWS::DynamoDB::Table', (p) => String(p.TableName).endsWith('-idempotency'));

describe.each(['test', 'live'] as const)('%s stage: provisioning queue and DLQ', (stageName) => {
  const stage = stages[stageName];

  test('the main queue redrives to the DLQ after maxReceiveCount (5) receives', () => {
    expect(mainQueue(stage).Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(deadLetterQueue(stage).logicalId),
      maxReceiveCount: 5,
    });
  });

  test('the DLQ keeps messages 14 days', () => {
    expect(deadLetterQueue(stage).Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
  });

  test('both queues are encrypted (SQS-managed SSE) and refuse non-TLS requests', () => {
    for (const queue of [mainQueue(stage), deadLetterQueue(stage)]) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      stage.statefulTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [refOf(queue.logicalId)],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          })]),
        },
      });
    }
  });

  test(`the visibility timeout is at least ${VISIBILITY_TIMEOUT_FACTOR} × the processor timeout`, () => {
    expect(mainQueue(stage).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * stage.config.processorTimeoutSeconds);
  });
});

describe('queue settings follow the context', () => {
  const custom = synthStage('test', { context: { maxReceiveCount: '3', processorTimeoutSeconds: '60', batchingWindowSeconds: '2' } });

  test('maxReceiveCount', () => {
    expect(mainQueue(custom).Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
  });

  test('visibility timeout = 6 × timeout + batching window', () => {
    expect(mainQueue(custom).Properties.VisibilityTimeout).toBe(6 * 60 + 2);
    expect(visibilityTimeoutFor(Duration.seconds(30), Duration.seconds(0)).toSeconds()).toBe(180);
  });
});

describe.each(['test', 'live'] as const)('%s stage: tables', (stageName) => {
  const stage = stages[stageName];

  test('ledger table: pk/sk strings, TTL, the three GSIs from ledger-schema', () => {
    const props = ledgerTable(stage).Properties;
    expect(props.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: LEDGER_TTL_ATTRIBUTE, Enabled: true });
    expect(props.AttributeDefinitions).toEqual(expect.arrayContaining([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'customerId', AttributeType: 'S' },
      { AttributeName: 'paymentRef', AttributeType: 'S' },
      { AttributeName: 'graceBucket', AttributeType: 'S' },
      { AttributeName: 'graceNextAt', AttributeType: 'N' },
    ]));
    const indexes = props.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: unknown }>;
    expect(indexes.map((i) => [i.IndexName, i.KeySchema])).toEqual([
      ['byCustomer', [{ AttributeName: 'customerId', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }]],
      ['byPaymentRef', [{ AttributeName: 'paymentRef', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }]],
      ['byGraceDeadline', [{ AttributeName: 'graceBucket', KeyType: 'HASH' }, { AttributeName: 'graceNextAt', KeyType: 'RANGE' }]],
    ]);
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(Object.values(LEDGER_INDEXES).map((i) => i.name).sort());
  });

  test('idempotency table: id string key and Powertools\' `expiration` TTL', () => {
    const props = idempotencyTable(stage).Properties;
    expect(props.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: IDEMPOTENCY_TTL_ATTRIBUTE, Enabled: true });
  });

  test('both tables: on demand, point-in-time recovery, KMS encryption', () => {
    for (const table of [ledgerTable(stage), idempotencyTable(stage)]) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });
});

describe('what survives deleting a stack', () => {
  test('live: deletion protection and Retain on both tables, Retain on queues and secrets', () => {
    for (const table of [ledgerTable(stages.live), idempotencyTable(stages.live)]) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    }
    for (const type of ['AWS::SQS::Queue', 'AWS::SecretsManager::Secret']) {
      for (const resource of Object.values(resourcesOfType(stages.live.statefulTemplate, type))) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  test('test: no deletion protection; tables, queues and secrets are deleted with the stack', () => {
    for (const table of [ledgerTable(stages.test), idempotencyTable(stages.test)]) {
      expect(table.Properties.DeletionProtectionEnabled).not.toBe(true);
      expect(table.DeletionPolicy).toBe('Delete');
    }
    for (const type of ['AWS::SQS::Queue', 'AWS::SecretsManager::Secret']) {
      for (const resource of Object.values(resourcesOfType(stages.test.statefulTemplate, type))) expect(resource.DeletionPolicy).toBe('Delete');
    }
  });

  test('live: the stateful stack has termination protection', () => {
    expect(stages.live.stateful.terminationProtection).toBe(true);
    expect(stages.test.stateful.terminationProtection).toBe(false);
  });
});

describe('secrets', () => {
  const secrets = Object.values(resourcesOfType(stages.test.statefulTemplate, 'AWS::SecretsManager::Secret')).map((s) => s.Properties ?? {});

  const secretNamed = (suffix: string) => secrets.find((s) => String(s.Name).endsWith(suffix));

  test('three secrets, named per stage', () => {
    expect(secrets.map((s) => s.Name).sort()).toEqual([
      'StripeLicensing/test/stripe-api-key',
      'StripeLicensing/test/stripe-webhook-signing-secret',
      'StripeLicensing/test/traffic-orchestrator-api-key',
    ]);
    expect(Object.keys(resourcesOfType(stages.live.statefulTemplate, 'AWS::SecretsManager::Secret'))).toHaveLength(3);
  });

  test('the API keys start as `unset:` placeholders (plain text), which the Lambdas refuse as credentials', () => {
    expect(secretNamed('traffic-orchestrator-api-key')?.SecretString).toBe(TO_API_KEY_PLACEHOLDER);
    const stripeKey = secretNamed('stripe-api-key');
    expect(stripeKey?.SecretString).toBe(STRIPE_API_KEY_PLACEHOLDER);
    expect(stripeKey?.Description).toMatch(/reconciliation/);
    for (const placeholder of [TO_API_KEY_PLACEHOLDER, STRIPE_API_KEY_PLACEHOLDER]) expect(placeholder.startsWith('unset:')).toBe(true);
    // Even past the `unset:` check it is no Stripe key of either mode.
    for (const stage of ['test', 'live'] as const) expect(() => checkStripeKeyMode(STRIPE_API_KEY_PLACEHOLDER, stage)).toThrow(/not a secret/);
  });

  test('the signing-secret placeholder has the documented shape but is rejected until a real secret is put in', () => {
    const placeholder = secretNamed('stripe-webhook-signing-secret')?.SecretString as string;
    expect(JSON.parse(placeholder)).toEqual({ signingSecrets: [] });
    expect(() => parseSigningSecrets(placeholder, 'placeholder')).toThrow(/no webhook signing secret configured/);
  });
});

describe('alarm topic', () => {
  test('refuses non-TLS publishing and lets this account\'s CloudWatch alarms publish', () => {
    const topic = onlyResource(stages.test.statefulTemplate, 'AWS::SNS::Topic');
    stages.test.statefulTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refOf(topic.logicalId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  test('no e-mail subscription unless alarmEmail is given', () => {
    stages.test.statefulTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synthStage('test', { context: { alarmEmail: 'oncall@example.com' } });
    const topic = onlyResource(withEmail.statefulTemplate, 'AWS::SNS::Topic');
    withEmail.statefulTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: refOf(topic.logicalId),
    });
  });
});

test('outputs: queue URLs, table names, secret ARNs (the Stripe API key\'s too), alarm topic', () => {
  const outputs = stages.live.statefulTemplate.toJSON().Outputs as Record<string, { Value: unknown }>;
  expect(Object.keys(outputs)).toEqual(expect.arrayContaining([
    'ProvisioningQueueUrl',
    'DeadLetterQueueUrl',
    'LedgerTableName',
    'IdempotencyTableName',
    'StripeSigningSecretArn',
    'TrafficOrchestratorApiKeySecretArn',
    'StripeApiKeySecretArn',
    'AlarmTopicArn',
  ]));
  const stripeKey = onlyResource(stages.live.statefulTemplate, 'AWS::SecretsManager::Secret', (p) => String(p.Name).endsWith('stripe-api-key'));
  expect(outputs.StripeApiKeySecretArn.Value).toEqual(refOf(stripeKey.logicalId));
});
