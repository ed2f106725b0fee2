/**
 * Builds the purchase workflow and its adapters (ledger on DynamoDB, Traffic Orchestrator with the
 * API key in force, SES or the outbox folder) from the validated configuration. The processor's
 * runtime and the grace-escalation job's runtime both start here, so they act on purchases the
 * same way.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../adapters/dynamodb-purchase-ledger';
import { FileNotifier } from '../adapters/file-notifier';
import { readCredential } from '../adapters/secret-credentials';
import { SesNotifier } from '../adapters/ses-notifier';
import { TrafficOrchestratorLicenseProvider } from '../adapters/traffic-orchestrator-license-provider';
import { systemClock, type Clock } from '../ports/clock';
import type { LicenseProvider } from '../ports/license-provider';
import type { Notifier } from '../ports/notifier';
import { composeEmail } from './compose-email';
import { PurchaseWorkflow, type MetricsSink } from './purchase-workflow';
import type { WorkflowConfig } from './workflow-config';

/** What tests and the local pipeline may replace; everything else comes from the configuration. */
export interface WorkflowOverrides {
  clock?: Clock;
  licenses?: LicenseProvider;
  notifier?: Notifier;
}

export interface WorkflowRuntime {
  workflow: PurchaseWorkflow;
  ledger: DynamoDbPurchaseLedger;
  clock: Clock;
  metricsSink: MetricsSink;
}

export async function createWorkflowRuntime(
  config: WorkflowConfig,
  observability: { logger: Logger; metrics: Metrics },
  dynamoDb: DynamoDBClient,
  overrides: WorkflowOverrides = {},
): Promise<WorkflowRuntime> {
  const { logger, metrics } = observability;
  const clock = overrides.clock ?? systemClock;
  const metricsSink: MetricsSink = {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
  };

  const ledger = new DynamoDbPurchaseLedger(createDocumentClient(dynamoDb), config.ledgerTableName, () => clock.nowMs());
  const licenses = overrides.licenses ?? licensesWithCurrentKey(() => readApiKey(config), (apiKey) => new TrafficOrchestratorLicenseProvider({
    apiUrl: config.trafficOrchestrator.apiUrl,
    apiKey,
    timeoutMs: config.trafficOrchestrator.timeoutMs,
  }));
  // Fail the cold start, not the first purchase, when the key is missing.
  if (!overrides.licenses) await readApiKey(config);
  const notifier = overrides.notifier ?? (config.notifier.kind === 'file'
    ? new FileNotifier(config.notifier.outboxDir)
    : new SesNotifier({ client: new SESv2Client({}), from: config.plans.email.from }));

  const workflow = new PurchaseWorkflow({
    ledger, licenses, notifier, composeEmail, plans: config.plans, clock, metrics: metricsSink, logger, leaseMs: config.purchaseLeaseMs,
  });
  return { workflow, ledger, clock, metricsSink };
}

const LICENSE_PROVIDER_METHODS = [
  'create', 'findByPurchaseRef', 'get', 'suspend', 'reactivate', 'revoke', 'extendTo', 'changePlan', 'setDomainLimit',
] as const satisfies readonly (keyof LicenseProvider)[];

/**
 * The Traffic Orchestrator adapter for the API key in force: the key is read (through Powertools'
 * cache, refreshed every SECRET_MAX_AGE_SECONDS of secret-credentials.ts) before each call, and the adapter rebuilt when it
 * changed, so a rotated key is used within minutes without a redeploy or a cold start.
 */
export function licensesWithCurrentKey(readKey: () => Promise<string>, build: (apiKey: string) => LicenseProvider): LicenseProvider {
  let current: { apiKey: string; provider: LicenseProvider } | undefined;
  const provider = async (): Promise<LicenseProvider> => {
    const apiKey = await readKey();
    if (current?.apiKey !== apiKey) current = { apiKey, provider: build(apiKey) };
    return current.provider;
  };
  return Object.fromEntries(LICENSE_PROVIDER_METHODS.map((method) => [
    method,
    async (...args: unknown[]) => ((await provider())[method] as (...a: unknown[]) => Promise<unknown>)(...args),
  ])) as unknown as LicenseProvider;
}

function readApiKey(config: WorkflowConfig): Promise<string> {
  return readCredential(config.trafficOrchestrator.apiKey, 'Traffic Orchestrator API key');
}
