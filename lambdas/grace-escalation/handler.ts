/**
 * Grace-escalation Lambda: EventBridge Scheduler → the dunning ladder by time. A thin adapter: the
 * runtime is built once per cold start (configuration validated, adapters created) and reused.
 */
import { builtOnFirstCall } from '../config/cold-start';
import { readWorkflowConfig } from '../processor/workflow-config';
import type { GraceEscalationSummary } from './grace-escalation-job';
import { createGraceEscalationHandler } from './runtime';

export const handler = builtOnFirstCall<unknown, GraceEscalationSummary>(() => createGraceEscalationHandler(readWorkflowConfig()));
