/**
 * Builds the whole CDK app for one stage: validated stage config, validated plans config, the
 * stateful and the service stack, and the cdk-nag AwsSolutions checks. bin/app.ts calls this with
 * a plain App; tests call it with their own context or plans config.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PlansConfig } from '../lambdas/domain/plans';
import { loadPlansFile, validatePlans } from './config/plans-file';
import { resolveStageConfig, type StageConfig } from './config/stage-config';
import { ServiceStack } from './stacks/service-stack';
import { StatefulStack } from './stacks/stateful-stack';

const CROSS_STACK_REFERENCES_CONTEXT = '@aws-cdk/core:defaultCrossStackReferences';

export interface BuildAppOptions {
  /** Defaults to `new App()` (which reads `-c` context and cdk.json). */
  readonly app?: App;
  /**
   * A plans config to use instead of reading the plans file (tests inject a bad one). It is
   * validated exactly like the file.
   */
  readonly plans?: unknown;
  /** Register cdk-nag's AwsSolutions checks (default true; only fast unit tests turn it off). */
  readonly nagChecks?: boolean;
}

export interface StripeLicensingApp {
  readonly app: App;
  readonly config: StageConfig;
  readonly plans: PlansConfig;
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
}

export function stackNames(config: Pick<StageConfig, 'namePrefix'>): { stateful: string; service: string } {
  return { stateful: `${config.namePrefix}-Stateful`, service: `${config.namePrefix}-Service` };
}

export function buildStripeLicensingApp(options: BuildAppOptions = {}): StripeLicensingApp {
  const app = options.app ?? new App();
  // Strong references (Fn::ImportValue): CloudFormation refuses to delete or change a queue, table or
  // secret the service stack still uses. Set explicitly so the choice is visible (and CDK stops warning).
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES_CONTEXT) === undefined) app.node.setContext(CROSS_STACK_REFERENCES_CONTEXT, 'strong');
  const config = resolveStageConfig((key) => app.node.tryGetContext(key));
  const plans = options.plans === undefined ? loadPlansFile(config.plansFile) : validatePlans(options.plans, 'plans config');

  const names = stackNames(config);
  const tags = { project: 'stripe-licensing', stage: config.stage };
  const stateful = new StatefulStack(app, names.stateful, {
    config,
    description: `Stripe → Traffic Orchestrator licensing (${config.stage}): queues, tables, secrets, alarm topic`,
    tags,
    terminationProtection: config.stage === 'live',
  });
  const service = new ServiceStack(app, names.service, {
    config,
    plans,
    stateful,
    description: `Stripe → Traffic Orchestrator licensing (${config.stage}): webhook API, Lambdas, alarms, dashboard`,
    tags,
  });
  service.addStackDependency(stateful);

  if (options.nagChecks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, plans, stateful, service };
}
