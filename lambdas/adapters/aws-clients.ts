/**
 * AWS SDK client factories: the one place each client's non-default settings live, so the Lambdas,
 * the local pipeline and the tests build identical clients. Region, credentials and endpoint come
 * from the standard AWS environment (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, …) unless overridden.
 */
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * `useQueueUrlAsEndpoint: false` keeps requests on the configured endpoint instead of the host in
 * the queue URL: emulators (fauxqs) hand out queue URLs whose host does not resolve.
 */
export function createSqsClient(overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ ...overrides, useQueueUrlAsEndpoint: false });
}
