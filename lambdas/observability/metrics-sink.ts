/**
 * The slice of a metrics client the use cases count with, and its one adapter: Powertools Metrics
 * (EMF). Every Lambda's composition root builds its sink here.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';

export interface MetricsSink {
  count(name: string, value?: number): void;
  milliseconds(name: string, value: number): void;
}

export function powertoolsMetricsSink(metrics: Metrics): MetricsSink {
  return {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
  };
}
