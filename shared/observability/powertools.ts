/**
 * Powertools for AWS Lambda: one logger, one metrics and one tracer per function, created at
 * module scope. Metrics are Embedded Metric Format lines on stdout: no API call, so they keep
 * flowing through the Lambda service's own log path even when the VPC network the probe runs
 * in is broken (that is what the "controller blind / probe silent" alarms rely on).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricSink, MetricUnitName, Telemetry } from './telemetry.js';

export const SERVICE_NAME = 'pan-failover';
export const METRICS_NAMESPACE = 'PanFailover';

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
}

export function createPowertools(functionName: string): Powertools {
  const logger = new Logger({ serviceName: SERVICE_NAME, persistentKeys: { function: functionName } });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  return { logger, metrics, telemetry: telemetryFrom(logger, metrics) };
}

const UNITS: Record<MetricUnitName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
  None: MetricUnit.NoUnit,
};

export function telemetryFrom(logger: Logger, metrics: Metrics): Telemetry {
  const sink: MetricSink = {
    add(name, unit, value, dimensions) {
      // One EMF document per dimension set: dimensions differ per firewall and per pair.
      const single = metrics.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, UNITS[unit], value);
    },
  };
  return {
    log: {
      debug: (m, f = {}) => logger.debug(m, { ...f }),
      info: (m, f = {}) => logger.info(m, { ...f }),
      warn: (m, f = {}) => logger.warn(m, { ...f }),
      error: (m, f = {}) => logger.error(m, { ...f }),
    },
    metrics: sink,
  };
}
