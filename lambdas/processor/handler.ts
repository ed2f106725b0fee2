/**
 * Processor Lambda: SQS provisioning queue → license actions. A thin adapter: the runtime is built
 * once per cold start (configuration validated, adapters created) and reused.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { builtOnFirstCall } from '../config/cold-start';
import { readProcessorConfig } from './processor-config';
import { createProcessorHandler } from './runtime';

export const handler = builtOnFirstCall<SQSEvent, SQSBatchResponse>(() => createProcessorHandler(readProcessorConfig()));
