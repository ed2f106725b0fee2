// PLACEHOLDER, replaced by the processor implementation (issue 3). Exists so the CDK stack can bundle it.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
  batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
});
