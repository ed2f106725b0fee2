/**
 * Processor Lambda: SQS provisioning queue → license actions. A thin adapter: the runtime is built
 * once per cold start (configuration validated, adapters created) and reused.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readProcessorConfig } from './processor-config';
import { createProcessorHandler, type ProcessorHandler } from './runtime';

let ready: Promise<ProcessorHandler> | undefined;

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  ready ??= createProcessorHandler(readProcessorConfig());
  try {
    return await (await ready)(event, context);
  } catch (error) {
    // A failed cold start (e.g. Secrets Manager unreachable) must not poison later invocations.
    ready = undefined;
    throw error;
  }
};
