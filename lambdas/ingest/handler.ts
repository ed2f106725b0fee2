/**
 * Ingest Lambda (API Gateway REST, payload v1): maps the request to the use case
 * (./ingest-webhook.ts) and back. Adapters are built once per container, on the first invocation.
 * `createIngestHandler` builds the same handler around injected adapters for the local pipeline
 * and tests.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createSqsClient } from '../adapters/aws-clients';
import { SecretsManagerSigningSecretSource, StaticSigningSecretSource } from '../adapters/signing-secret-sources';
import { SqsEventQueue } from '../adapters/sqs-event-queue';
import { METRICS_NAMESPACE, SERVICES } from '../observability/metric-names';
import { ingestWebhook, type IngestDeps, type IngestLogger, type IngestMetrics, type WebhookRequest } from './ingest-webhook';
import { readIngestConfig, type IngestConfig } from './ingest-config';

export interface IngestHandlerDeps extends IngestDeps {
  logger: IngestLogger & { addContext?(context: Context): void };
  /** Flushed after every invocation (EMF lines on stdout for Powertools Metrics). */
  metrics: IngestMetrics & { publishStoredMetrics(): unknown };
}

export type IngestHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  return async (event, context) => {
    if (context) deps.logger.addContext?.(context);
    try {
      const response = await ingestWebhook(toWebhookRequest(event), deps);
      return {
        statusCode: response.statusCode,
        headers: { 'Content-Type': 'application/json', ...response.headers },
        body: response.body,
      };
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

export function toWebhookRequest(event: APIGatewayProxyEvent): WebhookRequest {
  return {
    method: event.httpMethod,
    headers: event.headers ?? {},
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
    sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
    requestId: event.requestContext?.requestId,
  };
}

export interface IngestAdapterOptions {
  /** Defaults to a client from the standard AWS environment (the local pipeline passes its emulator's). */
  sqsClient?: SQSClient;
  logger?: IngestHandlerDeps['logger'];
  metrics?: IngestHandlerDeps['metrics'];
}

/** The real adapters for a configuration: SQS, Secrets Manager (or static secrets), Powertools. */
export function createIngestDeps(config: IngestConfig, options: IngestAdapterOptions = {}): IngestHandlerDeps {
  const secrets =
    config.signingSecrets.kind === 'secretsManager'
      ? new SecretsManagerSigningSecretSource(config.signingSecrets.secretId)
      : new StaticSigningSecretSource(config.signingSecrets.secrets);
  return {
    secrets,
    queue: new SqsEventQueue(options.sqsClient ?? createSqsClient(), config.queueUrl),
    expectedLivemode: config.expectedLivemode,
    maxBodyBytes: config.maxBodyBytes,
    logger: options.logger ?? new Logger({ serviceName: SERVICES.ingest }),
    metrics: options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.ingest }),
  };
}

let deployedHandler: IngestHandler | undefined;

/** Lambda entry point. A configuration error fails every invocation (5xx, Lambda Errors alarm) until fixed. */
export const handler: IngestHandler = async (event, context) => {
  deployedHandler ??= createIngestHandler(createIngestDeps(readIngestConfig()));
  return deployedHandler(event, context);
};
