/**
 * Builds the purchase workflow and its adapters (ledger on DynamoDB, Traffic Orchestrator with the
 * API key in force, SES or the outbox folder) from the validated configuration. The processor's
 * runtime and the grace-escalation job's runtime both start here, so they act on purchases the
 * same way.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb-clients';
import { DynamoDbPurchaseLedger } from '../adapters/dynamodb-purchase-ledger';
import { FileNotifier } from '../adapters/file-notifier';
import { clientForCurrentCredential, readCredential } from '../adapters/secret-credentials';
import { SesNotifier } from '../adapters/ses-notifier';
import { TrafficOrchestratorLicenseProvider } from '../adapters/traffic-orchestrator-license-provider';
import { systemClock, type Clock } from '../ports/clock';
import type { LicenseProvider } from '../ports/license-provider';
import type { Notifier } from '../ports/notifier';
import { composeEmail } from './compose-email';
import { powertoolsMetricsSink, type MetricsSink } from '../observability/metrics-sink';
import { PurchaseWorkflow } from './purchase-workflow';
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
  const metricsSink = powertoolsMetricsSink(metrics);

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

/** Every LicenseProvider method; a Record, so a method added to the port is a compile error here until listed. */
const LICENSE_PROVIDER_METHODS: Record<keyof LicenseProvider, true> = {
  create: true, findByPurchaseRef: true, get: true, suspend: true, reactivate: true, revoke: true, extendTo: true, changePlan: true, setDomainLimit: true,
};

/** The Traffic Orchestrator adapter for the API key in force before each call (clientForCurrentCredential). */
export function licensesWithCurrentKey(readKey: () => Promise<string>, build: (apiKey: string) => LicenseProvider): LicenseProvider {
  const provider = clientForCurrentCredential(readKey, build);
  return Object.fromEntries((Object.keys(LICENSE_PROVIDER_METHODS) as (keyof LicenseProvider)[]).map((method) => [
    method,
    async (...args: unknown[]) => ((await provider())[method] as (...a: unknown[]) => Promise<unknown>)(...args),
  ])) as unknown as LicenseProvider;
}

function readApiKey(config: WorkflowConfig): Promise<string> {
  return readCredential(config.trafficOrchestrator.apiKey, 'Traffic Orchestrator API key');
}
