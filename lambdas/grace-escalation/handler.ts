/**
 * Grace-escalation Lambda: EventBridge Scheduler → the dunning ladder by time. A thin adapter: the
 * runtime is built once per cold start (configuration validated, adapters created) and reused.
 */
import type { Context } from 'aws-lambda';
import { readWorkflowConfig } from '../processor/workflow-config';
import type { GraceEscalationSummary } from './grace-escalation-job';
import { createGraceEscalationHandler, type GraceEscalationHandler } from './runtime';

let ready: Promise<GraceEscalationHandler> | undefined;

export const handler = async (event: unknown, context: Context): Promise<GraceEscalationSummary> => {
  ready ??= createGraceEscalationHandler(readWorkflowConfig());
  try {
    return await (await ready)(event, context);
  } catch (error) {
    // A failed cold start (e.g. Secrets Manager unreachable) must not poison later invocations.
    ready = undefined;
    throw error;
  }
};
