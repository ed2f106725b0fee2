/**
 * The one way this project builds a Lambda function (after Powertools' examples/app): Node.js 22 on
 * ARM, X-Ray tracing, source maps, its own log group with a retention, its own role that can write
 * only to that log group, and bundling with the project's esbuild (no Docker).
 */
import * as path from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/observability/metric-names';
import { PROJECT_ROOT } from '../config/plans-file';

/** A Lambda entry module and the name of its exported handler. */
export interface LambdaHandlerSpec {
  /** Construct id of the function in the service stack. */
  readonly id: string;
  /** Entry file, relative to the project root. */
  readonly entry: string;
  /** Name of the exported handler function. */
  readonly handler: string;
}

/** Every Lambda the stack deploys. The stack builds from this list; the bundling tests iterate it. */
export const LAMBDA_HANDLERS = [
  { id: 'Ingest', entry: 'lambdas/ingest/handler.ts', handler: 'handler' },
  { id: 'Processor', entry: 'lambdas/processor/handler.ts', handler: 'handler' },
  { id: 'GraceEscalation', entry: 'lambdas/grace-escalation/handler.ts', handler: 'handler' },
  { id: 'Reconciliation', entry: 'lambdas/reconciliation/handler.ts', handler: 'handler' },
] as const satisfies readonly LambdaHandlerSpec[];

export type LambdaHandlerId = (typeof LAMBDA_HANDLERS)[number]['id'];

export function lambdaHandler(id: LambdaHandlerId): LambdaHandlerSpec {
  const spec = LAMBDA_HANDLERS.find((h) => h.id === id);
  if (!spec) throw new Error(`No Lambda handler with id ${id}`);
  return spec;
}

/**
 * The TO SDK's `import` export points at a file it does not ship (dist/index.mjs). The Lambda code
 * uses `import TO = require(...)`, which esbuild resolves to the CommonJS build; this alias pins
 * the CommonJS build for any import style, as a second line of defence.
 */
export const TO_CLIENT_CJS_ENTRY = require.resolve('@traffic-orchestrator/client');

/** Environment variables this construct sets itself; callers may not override them. */
const RESERVED_ENVIRONMENT = ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'] as const;

export interface LambdaFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'handler' | 'runtime' | 'architecture' | 'tracing' | 'logGroup' | 'role' | 'bundling' | 'projectRoot' | 'depsLockFilePath'> {
  readonly handlerSpec: LambdaHandlerSpec;
  /** Powertools service name; also the `service` dimension of the function's metrics. */
  readonly serviceName: string;
  readonly logRetentionDays: number;
  /** What happens to the log group when the stack is deleted. */
  readonly logRemovalPolicy: RemovalPolicy;
}

export class LambdaFunction extends NodejsFunction {
  /** The function's own role (also available as `role`, typed non-optional here). */
  readonly executionRole: iam.Role;
  /** The function's own log group (Function.logGroup is an accessor typed as ILogGroup). */
  readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    const { handlerSpec, serviceName, logRetentionDays, logRemovalPolicy, environment, ...functionProps } = props;
    for (const key of RESERVED_ENVIRONMENT) {
      if (environment && key in environment) throw new Error(`${id}: environment variable ${key} is set by LambdaFunction and cannot be overridden`);
    }

    // Created beside the function (not inside it): NodejsFunction needs both before `this` exists.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logRetentionDays as logs.RetentionDays,
      removalPolicy: logRemovalPolicy,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${serviceName} Lambda`,
    });

    super(scope, id, {
      ...functionProps,
      entry: path.join(PROJECT_ROOT, handlerSpec.entry),
      handler: handlerSpec.handler,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        ...environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        logLevel: LogLevel.WARNING,
        forceDockerBundling: false,
        esbuildArgs: { '--alias:@traffic-orchestrator/client': TO_CLIENT_CJS_ENTRY },
      },
    });

    this.functionLogGroup = logGroup;
    this.executionRole = role;
    // Write access to its own log group only (instead of AWSLambdaBasicExecutionRole's logs:* on every group).
    logGroup.grantWrite(role);

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x on purpose: the bundles are built with esbuild target node22 and the test suite, local pipeline and AWS SDK v3 '
        + '(which needs Node 22 from 2027) are verified on Node 22. Moving to a newer runtime is a deliberate change of runtime, esbuild target and test matrix together.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires Resource "*". '
        + 'The infra tests assert that these X-Ray actions are the only wildcard-resource statements in the role.',
    });
  }
}
