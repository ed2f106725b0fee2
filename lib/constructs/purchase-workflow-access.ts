/**
 * What a Lambda that drives the purchase workflow (lambdas/processor/purchase-workflow.ts) needs:
 * its environment (lambdas/processor/workflow-config.ts reads it) and least-privilege grants on the
 * ledger, the Traffic Orchestrator key and the SES sender. The processor and the grace-escalation
 * job both use it; each adds what only it needs.
 */
import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ENV, type Stage } from '../../lambdas/config/env';
import type { PlansConfig } from '../../lambdas/domain/plans';
import type { LambdaFunction } from './lambda-function';

/** Lambda's limit is 4 KiB for all variables together; leave room for the others. */
export const MAX_PLANS_CONFIG_ENV_BYTES = 3072;

export interface PurchaseWorkflowProps {
  readonly stage: Stage;
  readonly purchaseLeaseSeconds: number;
  readonly toApiUrl: string;
  readonly toTimeoutMs: number;
  readonly plans: PlansConfig;
  readonly ledgerTable: dynamodb.ITable;
  readonly toApiKeySecret: secretsmanager.ISecret;
  readonly logRetentionDays: number;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** Identity ARNs SES checks for a send from `from`: the address itself and its domain (either may be the verified identity). */
export function sesSenderIdentityArns(stack: Stack, from: string): string[] {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return [from, domain].map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }));
}

export function purchaseWorkflowEnvironment(props: PurchaseWorkflowProps): Record<string, string> {
  const plansJson = JSON.stringify(props.plans);
  if (Buffer.byteLength(plansJson) > MAX_PLANS_CONFIG_ENV_BYTES) {
    throw new Error(`The plans config is ${Buffer.byteLength(plansJson)} bytes as JSON; the Lambdas receive it as an environment variable, `
      + `which must stay under ${MAX_PLANS_CONFIG_ENV_BYTES} bytes (Lambda allows 4 KiB for all variables)`);
  }
  return {
    [ENV.stage]: props.stage,
    [ENV.ledgerTable]: props.ledgerTable.tableName,
    [ENV.purchaseLeaseSeconds]: String(props.purchaseLeaseSeconds),
    [ENV.toApiUrl]: props.toApiUrl,
    [ENV.toApiKeySecretId]: props.toApiKeySecret.secretArn,
    [ENV.toTimeoutMs]: String(props.toTimeoutMs),
    [ENV.plansConfig]: plansJson,
    [ENV.notifier]: 'ses',
  };
}

/**
 * Ledger items (lease, state, audit history, payment refs), queries on exactly the named indexes
 * (a new index needs a deliberate grant), the TO API key, and sending from the configured sender.
 */
export function grantPurchaseWorkflow(fn: LambdaFunction, props: PurchaseWorkflowProps, ledgerIndexNames: readonly string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'LedgerItems',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    resources: [props.ledgerTable.tableArn],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'LedgerIndexQueries',
    actions: ['dynamodb:Query'],
    resources: ledgerIndexNames.map((name) => `${props.ledgerTable.tableArn}/index/${name}`),
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'TrafficOrchestratorApiKey',
    actions: ['secretsmanager:GetSecretValue'],
    resources: [props.toApiKeySecret.secretArn],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'SendLicenseEmails',
    actions: ['ses:SendEmail'],
    resources: sesSenderIdentityArns(Stack.of(fn), props.plans.email.from),
  }));
}
