/**
 * The provisioning queue between ingest and the processor, and its dead-letter queue. Messages are
 * raw Stripe events: after `maxReceiveCount` failed receives SQS moves one to the DLQ, where it
 * waits (14 days) for on-call to fix the cause and redrive it.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { stageResourceNames } from '../config/stage-config';

/** AWS's guidance for an SQS event source: visibility timeout at least 6 × the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
export const DLQ_RETENTION = Duration.days(14);
/** Longer than the DLQ's would be pointless; 4 days leaves time to fix a stuck processor before SQS drops anything. */
export const QUEUE_RETENTION = Duration.days(4);

export interface ProvisioningQueueProps {
  readonly namePrefix: string;
  readonly maxReceiveCount: number;
  /** The consumer's timeout; the visibility timeout is derived from it. */
  readonly processorTimeout: Duration;
  /** Event source batching window, added on top of the 6 × timeout. */
  readonly batchingWindow: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/** 6 × the processor timeout plus the batching window (a batch can wait that long before the function even starts). */
export function visibilityTimeoutFor(processorTimeout: Duration, batchingWindow: Duration): Duration {
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * processorTimeout.toSeconds() + batchingWindow.toSeconds());
}

export class ProvisioningQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: ProvisioningQueueProps) {
    super(scope, id);

    this.visibilityTimeout = visibilityTimeoutFor(props.processorTimeout, props.batchingWindow);
    // A shorter visibility timeout lets SQS hand a message to a second processor while the first
    // is still working on it (and counts that as a receive towards the DLQ).
    if (this.visibilityTimeout.toSeconds() < VISIBILITY_TIMEOUT_FACTOR * props.processorTimeout.toSeconds()) {
      throw new Error(`${this.node.path}: visibility timeout ${this.visibilityTimeout.toSeconds()} s is below ${VISIBILITY_TIMEOUT_FACTOR} × the processor timeout`);
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: stageResourceNames(props.namePrefix).deadLetterQueue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      removalPolicy: props.removalPolicy,
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: stageResourceNames(props.namePrefix).provisioningQueue,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });
  }
}
