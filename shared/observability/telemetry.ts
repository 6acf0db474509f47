/**
 * What use-cases need from observability: structured logs with fixed messages and data in
 * fields, and metrics with dimensions. Lambda handlers pass the Powertools implementation
 * (`powertools.ts`); tests and the simulator pass `recordingTelemetry()` or their own.
 */

export type Fields = Readonly<Record<string, unknown>>;

export interface Log {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

export const METRIC_UNITS = ['Count', 'Milliseconds', 'Seconds', 'None'] as const;
export type MetricUnitName = (typeof METRIC_UNITS)[number];

export interface MetricSink {
  /** One data point of `name` with its own dimensions (e.g. `{ Pair, Firewall }`). */
  add(name: string, unit: MetricUnitName, value: number, dimensions: Readonly<Record<string, string>>): void;
}

export interface Telemetry {
  readonly log: Log;
  readonly metrics: MetricSink;
}

export interface RecordedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Fields;
}

export interface RecordedMetric {
  readonly name: string;
  readonly unit: MetricUnitName;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface RecordingTelemetry extends Telemetry {
  readonly logs: RecordedLog[];
  readonly recordedMetrics: RecordedMetric[];
}

export function recordingTelemetry(): RecordingTelemetry {
  const logs: RecordedLog[] = [];
  const recordedMetrics: RecordedMetric[] = [];
  const at =
    (level: RecordedLog['level']) =>
    (message: string, fields: Fields = {}) => {
      logs.push({ level, message, fields });
    };
  return {
    logs,
    recordedMetrics,
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    metrics: { add: (name, unit, value, dimensions) => recordedMetrics.push({ name, unit, value, dimensions }) },
  };
}

/** Adds fields (pair, execution, phase) to every line. */
export function withFields(log: Log, extra: Fields): Log {
  return {
    debug: (m, f) => log.debug(m, { ...extra, ...f }),
    info: (m, f) => log.info(m, { ...extra, ...f }),
    warn: (m, f) => log.warn(m, { ...extra, ...f }),
    error: (m, f) => log.error(m, { ...extra, ...f }),
  };
}
