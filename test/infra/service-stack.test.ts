/** The service stack: webhook API, the four Lambdas, their permissions, the event source, the schedules, alarms and dashboard. */
process.env.CDK_VALIDATION = 'false';

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { METRIC, METRICS_NAMESPACE, SERVICES } from '../../lambdas/observability/metric-names';
import { readReconciliationConfig } from '../../lambdas/reconciliation/reconciliation-config';
import { RECONCILIATION_SETTLE_SECONDS } from '../../lib/config/stage-config';
import { ALARM_SLUGS, RECONCILIATION_SERVICE, RUNBOOK_PATH } from '../../lib/constructs/alarms';
import { LAMBDA_HANDLERS } from '../../lib/constructs/lambda-function';
import { PROJECT_ROOT } from '../../lib/config/plans-file';
import { arnOf, onlyResource, refOf, resolveImports, resourcesOfType, synthStage, type SynthesizedStage } from './support/synth';

const stages: Record<'test' | 'live', SynthesizedStage> = { test: synthStage('test'), live: synthStage('live') };

interface Statement { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown }

const actionsOf = (s: Statement) => [s.Action].flat().sort();
const resourcesOf = (s: Statement) => [s.Resource].flat();

/** Logical ids of the stateful resources the service stack points at. */
function statefulIds(stage: SynthesizedStage) {
  const t = stage.statefulTemplate;
  return {
    queue: onlyResource(t, 'AWS::SQS::Queue', (p) => p.RedrivePolicy !== undefined).logicalId,
    dlq: onlyResource(t, 'AWS::SQS::Queue', (p) => p.RedrivePolicy === undefined).logicalId,
    ledger: onlyResource(t, 'AWS::DynamoDB::Table', (p) => String(p.TableName).endsWith('-ledger')).logicalId,
    idempotency: onlyResource(t, 'AWS::DynamoDB::Table', (p) => String(p.TableName).endsWith('-idempotency')).logicalId,
    signingSecret: onlyResource(t, 'AWS::SecretsManager::Secret', (p) => String(p.Name).endsWith('stripe-webhook-signing-secret')).logicalId,
    toApiKey: onlyResource(t, 'AWS::SecretsManager::Secret', (p) => String(p.Name).endsWith('traffic-orchestrator-api-key')).logicalId,
    stripeApiKey: onlyResource(t, 'AWS::SecretsManager::Secret', (p) => String(p.Name).endsWith('stripe-api-key')).logicalId,
    topic: onlyResource(t, 'AWS::SNS::Topic').logicalId,
  };
}

function lambdaFunction(stage: SynthesizedStage, service: string) {
  return onlyResource(stage.serviceTemplate, 'AWS::Lambda::Function',
    (p) => (p.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME === service);
}

/** The schedule of one job, by the end of its name (`grace-escalation`, `reconciliation`). */
function scheduleOf(template: SynthesizedStage['serviceTemplate'], job: string) {
  return onlyResource(template, 'AWS::Scheduler::Schedule', (p) => String(p.Name).endsWith(`-${job}`)).Properties;
}

/** The asynchronous-invocation settings of one function. */
function eventInvokeConfigOf(stage: SynthesizedStage, service: string) {
  const fnRef = refOf(lambdaFunction(stage, service).logicalId);
  return onlyResource(stage.serviceTemplate, 'AWS::Lambda::EventInvokeConfig', (p) => JSON.stringify(p.FunctionName) === JSON.stringify(fnRef)).Properties;
}

/** The statements of the inline policy attached to a function's role, with cross-stack imports resolved. */
function roleStatements(stage: SynthesizedStage, service: string): Statement[] {
  const fn = lambdaFunction(stage, service);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(resourcesOfType(stage.serviceTemplate, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([refOf(roleId)]));
  expect(policies).toHaveLength(1);
  const role = resourcesOfType(stage.serviceTemplate, 'AWS::IAM::Role')[roleId];
  expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  const statements = (policies[0].Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
  return resolveImports(statements, stage.statefulTemplate) as Statement[];
}

/** Splits off the two statements every function has (own log group, X-Ray) after checking them. */
function businessStatements(stage: SynthesizedStage, service: string): Statement[] {
  const statements = roleStatements(stage, service);
  const fn = lambdaFunction(stage, service);
  const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
  expect(logs).toEqual([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(logGroupId) }]);
  const wildcard = statements.filter((s) => resourcesOf(s).includes('*'));
  expect(wildcard).toEqual([{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }]);
  return statements.filter((s) => !logs.includes(s) && !wildcard.includes(s));
}

describe.each(['test', 'live'] as const)('%s stage', (stageName) => {
  const stage = stages[stageName];
  const ids = statefulIds(stage);
  const t = stage.serviceTemplate;

  describe('webhook API', () => {
    test('POST /webhooks/stripe is the only method, a Lambda proxy to the ingest function', () => {
      const methods = Object.values(resourcesOfType(t, 'AWS::ApiGateway::Method'));
      expect(methods).toHaveLength(1);
      const method = methods[0].Properties ?? {};
      expect(method.HttpMethod).toBe('POST');
      expect(method.AuthorizationType).toBe('NONE');
      const integration = method.Integration as { Type: string; IntegrationHttpMethod: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      expect(JSON.stringify(integration.Uri)).toContain(JSON.stringify(arnOf(lambdaFunction(stage, SERVICES.ingest).logicalId)));

      const resources = resourcesOfType(t, 'AWS::ApiGateway::Resource');
      const stripe = resources[(method.ResourceId as { Ref: string }).Ref].Properties ?? {};
      expect(stripe.PathPart).toBe('stripe');
      const webhooks = resources[(stripe.ParentId as { Ref: string }).Ref].Properties ?? {};
      expect(webhooks.PathPart).toBe('webhooks');
      expect(webhooks.ParentId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'RootResourceId'] });
    });

    test('the stage is throttled (rate 50, burst 100), traced and access-logged; execution logs carry no bodies', () => {
      const apiStage = onlyResource(t, 'AWS::ApiGateway::Stage').Properties;
      expect(apiStage.StageName).toBe(stageName);
      expect(apiStage.TracingEnabled).toBe(true);
      expect(apiStage.MethodSettings).toEqual([expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      })]);
      // Its own log group, not one of the functions' groups.
      const destination = (apiStage.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn['Fn::GetAtt'][0];
      const functionLogGroups = Object.values(resourcesOfType(t, 'AWS::Lambda::Function'))
        .map((f) => (f.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
      expect(resourcesOfType(t, 'AWS::Logs::LogGroup')[destination]?.Properties?.RetentionInDays).toBe(stage.config.logRetentionDays);
      expect(functionLogGroups).not.toContain(destination);
    });
  });

  describe('Lambda functions', () => {
    const functions = Object.values(resourcesOfType(t, 'AWS::Lambda::Function')).map((f) => f.Properties ?? {});

    test('one function per LAMBDA_HANDLERS entry, each with the handler export the list names', () => {
      expect(functions).toHaveLength(LAMBDA_HANDLERS.length);
      expect(functions.map((f) => f.Handler).sort()).toEqual(LAMBDA_HANDLERS.map((h) => `index.${h.handler}`).sort());
    });

    test('every function: nodejs22.x on arm64, active tracing, source maps, Powertools names, own log group', () => {
      for (const fn of functions) {
        expect(fn.Runtime).toBe('nodejs22.x');
        expect(fn.Architectures).toEqual(['arm64']);
        expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
        const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
        expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
        expect(Object.values(SERVICES)).toContain(env.POWERTOOLS_SERVICE_NAME);
        const logGroupId = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(resourcesOfType(t, 'AWS::Logs::LogGroup')[logGroupId].Properties?.RetentionInDays).toBe(stage.config.logRetentionDays);
      }
    });

    test('ingest environment: stage, queue URL, signing secret id, body limit', () => {
      const env = resolveImports((lambdaFunction(stage, SERVICES.ingest).Properties.Environment as { Variables: object }).Variables, stage.statefulTemplate);
      expect(env).toEqual({
        STAGE: stageName,
        QUEUE_URL: refOf(ids.queue),
        STRIPE_SIGNING_SECRET_ID: refOf(ids.signingSecret),
        MAX_BODY_BYTES: '261120',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICES.ingest,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      });
    });

    test('processor environment: tables, DLQ, windows, TO settings, the plans config as JSON, SES', () => {
      const fn = lambdaFunction(stage, SERVICES.processor);
      expect(fn.Properties.Timeout).toBe(30);
      const env = resolveImports((fn.Properties.Environment as { Variables: object }).Variables, stage.statefulTemplate) as Record<string, unknown>;
      expect(env).toMatchObject({
        STAGE: stageName,
        LEDGER_TABLE_NAME: refOf(ids.ledger),
        IDEMPOTENCY_TABLE_NAME: refOf(ids.idempotency),
        DLQ_URL: refOf(ids.dlq),
        IDEMPOTENCY_EXPIRY_SECONDS: '345600',
        PURCHASE_LEASE_SECONDS: '60',
        TO_API_URL: 'https://api.trafficorchestrator.com/api/v1',
        TO_API_KEY_SECRET_ID: refOf(ids.toApiKey),
        TO_TIMEOUT_MS: '5000',
        NOTIFIER: 'ses',
      });
      const plansFile = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'config/plans.json'), 'utf8'));
      expect(JSON.parse(env.PLANS_CONFIG as string)).toEqual(plansFile);
    });
  });

  describe('grace-escalation job', () => {
    const fn = () => lambdaFunction(stage, SERVICES.graceEscalation);

    test('the Lambda: 5 min timeout, the workflow environment and nothing of the queue or idempotency, no Lambda retries of a failed run', () => {
      expect(fn().Properties.Timeout).toBe(300);
      const env = resolveImports((fn().Properties.Environment as { Variables: object }).Variables, stage.statefulTemplate) as Record<string, unknown>;
      expect(env).toMatchObject({
        STAGE: stageName,
        LEDGER_TABLE_NAME: refOf(ids.ledger),
        PURCHASE_LEASE_SECONDS: '60',
        TO_API_URL: 'https://api.trafficorchestrator.com/api/v1',
        TO_API_KEY_SECRET_ID: refOf(ids.toApiKey),
        TO_TIMEOUT_MS: '5000',
        NOTIFIER: 'ses',
      });
      expect(JSON.parse(env.PLANS_CONFIG as string)).toEqual(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'config/plans.json'), 'utf8')));
      for (const name of ['IDEMPOTENCY_TABLE_NAME', 'DLQ_URL', 'QUEUE_URL']) expect(env).not.toHaveProperty(name);
      expect(eventInvokeConfigOf(stage, SERVICES.graceEscalation)).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 });
    });

    test('least privilege: ledger items, Query on the grace-deadline index only, the TO key, the SES sender; no queue, no idempotency table', () => {
      const granted = businessStatements(stage, SERVICES.graceEscalation).map((st) => [actionsOf(st), st.Resource]);
      expect(granted).toEqual([
        [['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], arnOf(ids.ledger)],
        [['dynamodb:Query'], { 'Fn::Join': ['', [arnOf(ids.ledger), '/index/byGraceDeadline']] }],
        [['secretsmanager:GetSecretValue'], refOf(ids.toApiKey)],
        [['ses:SendEmail'], expect.any(Array)],
      ]);
    });

    test('EventBridge Scheduler runs it every 15 minutes in the jobs\' group, naming the firing in the payload', () => {
      expect(scheduleOf(t, 'grace-escalation')).toMatchObject({
        Name: `StripeLicensing-${stageName}-grace-escalation`,
        GroupName: `StripeLicensing-${stageName}-jobs`,
        ScheduleExpression: 'rate(15 minutes)',
        Target: { Arn: arnOf(fn().logicalId), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 } },
      });
      expect(onlyResource(t, 'AWS::Scheduler::ScheduleGroup').Properties).toEqual({ Name: `StripeLicensing-${stageName}-jobs` });
    });
  });

  describe('reconciliation job', () => {
    const fn = () => lambdaFunction(stage, SERVICES.reconciliation);

    test('the Lambda: nodejs22.x, 5 min timeout, 512 MB; ledger, queue, Stripe API and window settings, nothing else', () => {
      expect(fn().Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 300, MemorySize: 512 });
      const env = resolveImports((fn().Properties.Environment as { Variables: object }).Variables, stage.statefulTemplate);
      expect(env).toEqual({
        STAGE: stageName,
        LEDGER_TABLE_NAME: refOf(ids.ledger),
        QUEUE_URL: refOf(ids.queue),
        STRIPE_API_URL: 'https://api.stripe.com',
        STRIPE_API_KEY_SECRET_ID: refOf(ids.stripeApiKey),
        STRIPE_TIMEOUT_MS: '10000',
        RECONCILIATION_LOOKBACK_SECONDS: String(96 * 3600),
        RECONCILIATION_SETTLE_SECONDS: String(RECONCILIATION_SETTLE_SECONDS),
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICES.reconciliation,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      });
      // What the job reads at cold start accepts what the stack sets (the secret id stands in for the key).
      const lambdaEnv = { ...(env as Record<string, string>), LEDGER_TABLE_NAME: 'ledger', QUEUE_URL: 'https://sqs.example/queue', STRIPE_API_KEY_SECRET_ID: 'arn:secret' };
      expect(readReconciliationConfig(lambdaEnv)).toMatchObject({
        stage: stageName, lookbackSeconds: 96 * 3600, settleSeconds: RECONCILIATION_SETTLE_SECONDS, stripe: { apiKey: { secretId: 'arn:secret' }, timeoutMs: 10_000 },
      });
    });

    test('no Lambda retries of a failed run (the next firing is the retry)', () => {
      expect(eventInvokeConfigOf(stage, SERVICES.reconciliation)).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 });
    });

    test('least privilege: GetItem on the ledger table only, SendMessage to the provisioning queue, the Stripe API key; nothing else', () => {
      const granted = businessStatements(stage, SERVICES.reconciliation);
      expect(granted).toEqual([
        { Sid: 'ReadLedgerItems', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arnOf(ids.ledger) },
        { Sid: 'RequeueLostEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(ids.queue) },
        { Sid: 'ReadStripeApiKey', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: refOf(ids.stripeApiKey) },
      ]);
    });

    test('EventBridge Scheduler runs it hourly in the grace-escalation job\'s group', () => {
      expect(scheduleOf(t, 'reconciliation')).toMatchObject({
        Name: `StripeLicensing-${stageName}-reconciliation`,
        GroupName: `StripeLicensing-${stageName}-jobs`,
        ScheduleExpression: 'rate(1 hour)',
        Target: { Arn: arnOf(fn().logicalId), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
      });
      expect(Object.keys(resourcesOfType(t, 'AWS::Scheduler::Schedule'))).toHaveLength(2);
    });
  });

  describe.each([
    ['grace-escalation', SERVICES.graceEscalation],
    ['reconciliation', SERVICES.reconciliation],
  ])('the %s schedule', (job, service) => {
    const schedule = () => scheduleOf(t, job);

    test('is enabled, fires on time and names the firing in the payload', () => {
      expect(schedule()).toMatchObject({ State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' } });
      expect(JSON.parse((schedule().Target as { Input: string }).Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    });

    test('its own scheduler role: assumable only by EventBridge Scheduler of this account, may only invoke this function', () => {
      const roleId = (schedule().Target as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn['Fn::GetAtt'][0];
      const role = resourcesOfType(t, 'AWS::IAM::Role')[roleId].Properties ?? {};
      expect((role.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement).toEqual([{
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }]);
      const policies = Object.values(resourcesOfType(t, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([refOf(roleId)]));
      expect(policies).toHaveLength(1);
      const fnArn = arnOf(lambdaFunction(stage, service).logicalId);
      expect((policies[0].Properties?.PolicyDocument as { Statement: Statement[] }).Statement.map((st) => [actionsOf(st), st.Resource])).toEqual([
        [['lambda:InvokeFunction'], [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }]],
      ]);
    });
  });

  describe('least privilege', () => {
    test('ingest may only send to the provisioning queue and read the signing secret', () => {
      expect(businessStatements(stage, SERVICES.ingest).map((s) => [actionsOf(s), s.Resource])).toEqual([
        [['sqs:SendMessage'], arnOf(ids.queue)],
        [['secretsmanager:GetSecretValue'], refOf(ids.signingSecret)],
      ]);
    });

    test('processor: its tables (Query only on the named indexes), DLQ send, queue consume, TO key, the SES sender identity', () => {
      const join = (suffix: string) => ({ 'Fn::Join': ['', [arnOf(ids.ledger), suffix]] });
      const sesIdentity = (identity: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${identity}`]],
      });
      const granted = businessStatements(stage, SERVICES.processor).map((s) => [actionsOf(s), s.Resource]);
      expect(granted).toEqual(expect.arrayContaining([
        [['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], arnOf(ids.ledger)],
        [['dynamodb:Query'], [join('/index/byCustomer'), join('/index/byPaymentRef'), join('/index/byGraceDeadline')]],
        [['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], arnOf(ids.idempotency)],
        [['sqs:SendMessage'], arnOf(ids.dlq)],
        [['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], arnOf(ids.queue)],
        [['secretsmanager:GetSecretValue'], refOf(ids.toApiKey)],
        [['ses:SendEmail'], [sesIdentity('licenses@example.com'), sesIdentity('example.com')]],
      ]));
      expect(granted).toHaveLength(7);
    });
  });

  test('event source: batches of 10 with a 1 s window, partial batch failures, max concurrency 5', () => {
    const mapping = onlyResource(t, 'AWS::Lambda::EventSourceMapping').Properties;
    expect(resolveImports(mapping, stage.statefulTemplate)).toEqual({
      EventSourceArn: arnOf(ids.queue),
      FunctionName: refOf(lambdaFunction(stage, SERVICES.processor).logicalId),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  describe('alarms', () => {
    const alarms = Object.values(resourcesOfType(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});
    const alarm = (slug: string) => {
      const found = alarms.find((a) => a.AlarmName === `StripeLicensing-${stageName}-${slug}`);
      if (!found) throw new Error(`no alarm ${slug}`);
      return found;
    };
    const customMetric = (service: string, name: string) => ({
      Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: [{ Name: 'service', Value: service }],
    });

    test('every alarm has a stable name, a runbook link, notifies the SNS topic (alarm and OK), never alarms on missing data', () => {
      expect(alarms.map((a) => a.AlarmName).sort()).toEqual(ALARM_SLUGS.map((slug) => `StripeLicensing-${stageName}-${slug}`).sort());
      for (const slug of ALARM_SLUGS) {
        const a = resolveImports(alarm(slug), stage.statefulTemplate) as Record<string, unknown>;
        expect(a.AlarmDescription).toEqual(expect.stringContaining(`Runbook: ${RUNBOOK_PATH}#${slug}`));
        expect(a.AlarmActions).toEqual([refOf(ids.topic)]);
        expect(a.OKActions).toEqual([refOf(ids.topic)]);
        expect(a.TreatMissingData).toBe('notBreaching');
      }
    });

    test.each([
      ['signature-verification-failed', SERVICES.ingest, METRIC.signatureVerificationFailed, 'Sum', 'GreaterThanThreshold', 0],
      ['provisioning-latency-p99', SERVICES.processor, METRIC.provisioningLatency, 'p99', 'GreaterThanThreshold', 5000],
      ['orphaned-payment', RECONCILIATION_SERVICE, METRIC.orphanedPayment, 'Sum', 'GreaterThanOrEqualToThreshold', 1],
      ['event-dead-lettered', SERVICES.processor, METRIC.eventDeadLettered, 'Sum', 'GreaterThanOrEqualToThreshold', 1],
      ['business-rule-violation', SERVICES.processor, METRIC.businessRuleViolation, 'Sum', 'GreaterThanOrEqualToThreshold', 1],
      ['grace-escalation-failed', SERVICES.graceEscalation, METRIC.graceEscalationFailed, 'Sum', 'GreaterThanOrEqualToThreshold', 1],
    ])('%s watches %s/%s (%s) %s %d', (slug, service, metricName, statistic, comparison, threshold) => {
      const a = alarm(slug);
      expect(a).toMatchObject({ ...customMetric(service, metricName), ComparisonOperator: comparison, Threshold: threshold });
      expect(statistic.startsWith('p') ? a.ExtendedStatistic : a.Statistic).toBe(statistic);
    });

    test('webhook delivery success rate < 99%: 100 × accepted / received, only when webhooks arrived', () => {
      const a = alarm('webhook-delivery-success-rate');
      expect(a).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 99 });
      const queries = a.Metrics as Array<{ Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: unknown; Stat: string } }>;
      expect(queries.find((q) => q.Expression)?.Expression).toBe('IF(received > 0, 100 * FILL(accepted, 0) / received, 100)');
      expect(queries.find((q) => q.Id === 'received')?.MetricStat).toMatchObject({ Metric: customMetric(SERVICES.ingest, METRIC.webhookReceived), Stat: 'Sum' });
      expect(queries.find((q) => q.Id === 'accepted')?.MetricStat).toMatchObject({ Metric: customMetric(SERVICES.ingest, METRIC.webhookAccepted), Stat: 'Sum' });
    });

    test('duplicate rate > 5%: duplicates / (processed + duplicates)', () => {
      const a = alarm('duplicate-event-rate');
      expect(a).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 });
      const queries = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: unknown } }>;
      expect(queries.find((q) => q.Expression)?.Expression).toContain('100 * FILL(duplicates, 0) / (FILL(processed, 0) + FILL(duplicates, 0))');
      expect(queries.find((q) => q.Id === 'processed')?.MetricStat?.Metric).toEqual(customMetric(SERVICES.processor, METRIC.eventProcessed));
      expect(queries.find((q) => q.Id === 'duplicates')?.MetricStat?.Metric).toEqual(customMetric(SERVICES.processor, METRIC.duplicateEvent));
    });

    test.each([
      ['license-creation-failed', METRIC.licenseCreationFailed],
      ['email-failed', METRIC.emailFailed],
    ])('%s: %s summed over the processor and the grace-escalation job (both drive licenses and e-mail), alarm at ≥ 1', (slug, metricName) => {
      const a = alarm(slug);
      expect(a).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
      const queries = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: unknown; Stat: string } }>;
      expect(queries.find((q) => q.Expression)?.Expression).toBe(`FILL(processor${metricName}, 0) + FILL(grace${metricName}, 0)`);
      expect(queries.find((q) => q.Id === `processor${metricName}`)?.MetricStat).toMatchObject({ Metric: customMetric(SERVICES.processor, metricName), Stat: 'Sum' });
      expect(queries.find((q) => q.Id === `grace${metricName}`)?.MetricStat).toMatchObject({ Metric: customMetric(SERVICES.graceEscalation, metricName), Stat: 'Sum' });
    });

    test('scheduler-target-errors: target errors plus dropped firings of the jobs\' schedule group', () => {
      const a = alarm('scheduler-target-errors');
      expect(a).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
      const queries = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } } }>;
      expect(queries.find((q) => q.Expression)?.Expression).toBe('FILL(targetErrors, 0) + FILL(dropped, 0)');
      const group = { Name: 'ScheduleGroup', Value: `StripeLicensing-${stageName}-jobs` };
      expect(queries.find((q) => q.Id === 'targetErrors')?.MetricStat?.Metric).toMatchObject({ Namespace: 'AWS/Scheduler', MetricName: 'TargetErrorCount', Dimensions: [group] });
      expect(queries.find((q) => q.Id === 'dropped')?.MetricStat?.Metric).toMatchObject({ Namespace: 'AWS/Scheduler', MetricName: 'InvocationDroppedCount', Dimensions: [group] });
    });

    test('DLQ not empty and oldest message age watch the right queues', () => {
      const dlq = resolveImports(alarm('dlq-not-empty'), stage.statefulTemplate);
      expect(dlq).toMatchObject({
        Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1,
      });
      const age = resolveImports(alarm('queue-oldest-message-age'), stage.statefulTemplate);
      expect(age).toMatchObject({
        Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold', Threshold: 300,
      });
    });

    test.each([
      ['grace-escalation-lambda-errors', SERVICES.graceEscalation],
      ['reconciliation-lambda-errors', SERVICES.reconciliation],
    ])('%s watches the %s job\'s Errors', (slug, service) => {
      expect(alarm(slug)).toMatchObject({
        Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum',
        Dimensions: [{ Name: 'FunctionName', Value: refOf(lambdaFunction(stage, service).logicalId) }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1,
      });
    });

    test.each([
      ['ingest', SERVICES.ingest],
      ['processor', SERVICES.processor],
    ])('Lambda Errors and Throttles of the %s function', (name, service) => {
      const fnId = lambdaFunction(stage, service).logicalId;
      for (const metricName of ['Errors', 'Throttles']) {
        expect(alarm(`${name}-lambda-${metricName.toLowerCase()}`)).toMatchObject({
          Namespace: 'AWS/Lambda', MetricName: metricName, Statistic: 'Sum',
          Dimensions: [{ Name: 'FunctionName', Value: refOf(fnId) }],
          ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1,
        });
      }
    });
  });

  test('the dashboard shows the alarmed metrics', () => {
    const body = JSON.stringify(onlyResource(t, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const name of [
      METRIC.webhookReceived, METRIC.webhookAccepted, METRIC.signatureVerificationFailed, METRIC.provisioningLatency,
      METRIC.licenseCreationFailed, METRIC.duplicateEvent, METRIC.orphanedPayment, METRIC.eventDeadLettered,
      METRIC.businessRuleViolation, METRIC.emailFailed, 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Errors', 'Throttles',
      METRIC.graceStepsDue, METRIC.graceStepApplied, METRIC.graceEscalationFailed, METRIC.graceEscalationDeferred, 'TargetErrorCount', 'InvocationDroppedCount',
      METRIC.paymentsReconciled, METRIC.orphanedPaymentRequeued,
    ]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
    // The reconciliation graph: the job's metrics and its function's errors, side by side.
    const reconciliationGraph = /"title\\":\\"Reconciliation \(scheduled job\)\\".*?"yAxis\\":\{\}/.exec(body)?.[0] ?? '';
    for (const name of [METRIC.paymentsReconciled, METRIC.orphanedPayment, METRIC.orphanedPaymentRequeued]) {
      expect(reconciliationGraph).toContain(`\\"${name}\\",\\"service\\",\\"${SERVICES.reconciliation}\\"`);
    }
    expect(reconciliationGraph).toContain(JSON.stringify({ Ref: lambdaFunction(stage, SERVICES.reconciliation).logicalId }));
    // License and e-mail counts include the grace-escalation job's, as their alarms do.
    const licensesGraph = /"title\\":\\"Licenses and e-mail\\".*?"yAxis\\":\{\}/.exec(body)?.[0] ?? '';
    for (const name of [METRIC.licenseCreated, METRIC.licenseCreationFailed, METRIC.emailSent, METRIC.emailFailed]) {
      for (const service of [SERVICES.processor, SERVICES.graceEscalation]) expect(licensesGraph).toContain(`\\"${name}\\",\\"service\\",\\"${service}\\"`);
    }
  });

  test('outputs: webhook URL ending in /webhooks/stripe', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.WebhookUrl.Value)).toMatch(/\/webhooks\/stripe"/);
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([
      'WebhookUrl', 'IngestFunctionName', 'ProcessorFunctionName', 'GraceEscalationFunctionName', 'ReconciliationFunctionName', 'DashboardName',
    ]));
    expect(outputs.ReconciliationFunctionName.Value).toEqual(refOf(lambdaFunction(stage, SERVICES.reconciliation).logicalId));
  });
});

describe('context overrides reach the service stack', () => {
  const custom = synthStage('test', {
    context: {
      maxConcurrency: '2', apiRateLimit: '7', apiBurstLimit: '9', batchSize: '5', batchingWindowSeconds: '0', graceEscalationIntervalMinutes: '60',
      reconciliationIntervalMinutes: '30', reconciliationLookbackHours: '24', stripeApiUrl: 'https://stripe.example.com', stripeTimeoutMs: '2500',
    },
  });

  test('event source concurrency, batch size and window', () => {
    const mapping = onlyResource(custom.serviceTemplate, 'AWS::Lambda::EventSourceMapping').Properties;
    expect(mapping).toMatchObject({ BatchSize: 5, ScalingConfig: { MaximumConcurrency: 2 } });
    expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  test('grace-escalation interval: the schedule rate, and a firing older than one interval is superseded', () => {
    expect(scheduleOf(custom.serviceTemplate, 'grace-escalation')).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      Target: { RetryPolicy: { MaximumEventAgeInSeconds: 3600 } },
    });
  });

  test('reconciliation: the schedule rate, the lookback window in seconds, the Stripe API URL and timeout', () => {
    expect(scheduleOf(custom.serviceTemplate, 'reconciliation')).toMatchObject({
      ScheduleExpression: 'rate(30 minutes)',
      Target: { RetryPolicy: { MaximumEventAgeInSeconds: 1800 } },
    });
    expect((lambdaFunction(custom, SERVICES.reconciliation).Properties.Environment as { Variables: object }).Variables).toMatchObject({
      RECONCILIATION_LOOKBACK_SECONDS: '86400',
      STRIPE_API_URL: 'https://stripe.example.com',
      STRIPE_TIMEOUT_MS: '2500',
    });
  });

  test('stage throttling', () => {
    custom.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 })]),
    });
  });
});
