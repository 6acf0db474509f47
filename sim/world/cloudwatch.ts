/**
 * CloudWatch: metric datapoints (PutMetricData, Embedded Metric Format log lines, EC2 status
 * checks), GetMetricData statistics over periods, and metric alarms evaluated on the clock
 * that emit `CloudWatch Alarm State Change` events shaped as EventBridge delivers them.
 */
import { InputInvalidError } from '#shared/errors.js';
import { SimAwsError } from './aws-error.js';
import type { WorldContext } from './context.js';
import type { TaskHandle } from './scheduler.js';
import { alarmSchema, type AlarmDefinition, type AlarmDefinitionInput } from './topology.js';

export const STATISTICS = ['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount'] as const;
export type Statistic = (typeof STATISTICS)[number];
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface MetricId {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** One datapoint, already aggregated (a single value is sum = min = max = value, count 1). */
interface Datapoint {
  readonly t: number;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

export interface MetricDatum {
  readonly MetricName?: string;
  readonly Dimensions?: readonly { readonly Name?: string; readonly Value?: string }[];
  /** Epoch ms. */
  readonly Timestamp?: number;
  readonly Value?: number;
  readonly Values?: readonly number[];
  readonly Counts?: readonly number[];
  readonly StatisticValues?: {
    readonly SampleCount: number;
    readonly Sum: number;
    readonly Minimum: number;
    readonly Maximum: number;
  };
  readonly Unit?: string;
  readonly StorageResolution?: number;
}

export interface MetricQuery {
  readonly id: string;
  readonly metric: MetricId;
  readonly periodSeconds: number;
  readonly stat: Statistic;
  readonly label?: string;
}

export interface MetricResult {
  readonly id: string;
  readonly label: string;
  /** Period start times, epoch ms. */
  readonly timestamps: number[];
  readonly values: number[];
}

export interface AlarmView extends AlarmDefinition {
  readonly arn: string;
  readonly state: AlarmState;
  readonly stateReason: string;
  readonly stateUpdatedAt: number;
}

/** The EventBridge event CloudWatch emits when an alarm changes state. */
export interface AlarmStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CloudWatch Alarm State Change';
  readonly source: 'aws.cloudwatch';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: {
      readonly value: AlarmState;
      readonly reason: string;
      readonly reasonData: string;
      readonly timestamp: string;
    };
    readonly previousState: {
      readonly value: AlarmState;
      readonly reason: string;
      readonly reasonData: string;
      readonly timestamp: string;
    };
    readonly configuration: {
      readonly description: string | undefined;
      readonly metrics: readonly {
        readonly id: string;
        readonly metricStat: {
          readonly metric: {
            readonly namespace: string;
            readonly name: string;
            readonly dimensions: Readonly<Record<string, string>>;
          };
          readonly period: number;
          readonly stat: Statistic;
        };
        readonly returnData: boolean;
      }[];
    };
  };
}

interface AlarmRecord {
  readonly def: AlarmDefinition;
  readonly arn: string;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  task: TaskHandle | undefined;
}

const cwError = (code: string, message: string) => new SimAwsError('cloudwatch', code, message);

function metricKey(m: MetricId): string {
  const dims = Object.entries(m.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([m.namespace, m.name, dims]);
}

function aggregate(points: readonly Datapoint[], stat: Statistic): number | undefined {
  if (points.length === 0) return undefined;
  const sum = points.reduce((s, p) => s + p.sum, 0);
  const count = points.reduce((s, p) => s + p.count, 0);
  switch (stat) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count === 0 ? undefined : sum / count;
    case 'Maximum':
      return Math.max(...points.map((p) => p.max));
    case 'Minimum':
      return Math.min(...points.map((p) => p.min));
  }
}

function breaches(value: number, def: AlarmDefinition): boolean {
  switch (def.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= def.threshold;
    case 'GreaterThanThreshold':
      return value > def.threshold;
    case 'LessThanThreshold':
      return value < def.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= def.threshold;
  }
}

export class CloudWatchWorld {
  readonly #ctx: WorldContext;
  readonly #metrics = new Map<string, { id: MetricId; points: Datapoint[] }>();
  readonly #alarms = new Map<string, AlarmRecord>();
  readonly #listeners = new Set<(event: AlarmStateChangeEvent) => void>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  // -------------------------------------------------------------------------------------------
  // Metrics

  /** Stores datapoints (no API call, no validation: the world's own metrics). */
  record(metric: MetricId, value: number, at: number = this.#ctx.now()): void {
    this.#store(metric, { t: at, sum: value, count: 1, min: value, max: value });
  }

  /** PutMetricData, with its validation. */
  putMetricData(namespace: string | undefined, data: readonly MetricDatum[]): void {
    this.#ctx.iam.check('cloudwatch', 'cloudwatch:PutMetricData', ['*']);
    if (namespace === undefined || namespace === '')
      throw cwError('MissingParameter', 'The parameter Namespace is required.');
    if (namespace.startsWith('AWS/')) {
      throw cwError('InvalidParameterValue', `The value ${namespace} for parameter Namespace is invalid.`);
    }
    if (data.length === 0) throw cwError('MissingParameter', 'The parameter MetricData is required.');
    if (data.length > 1000)
      throw cwError(
        'InvalidParameterValue',
        'The collection MetricData must not have a size greater than 1000.',
      );
    const now = this.#ctx.now();
    const staged: { id: MetricId; points: Datapoint[] }[] = [];
    data.forEach((d, i) => {
      const where = `MetricData.member.${i + 1}`;
      if (d.MetricName === undefined || d.MetricName === '')
        throw cwError('MissingParameter', `The parameter ${where}.MetricName is required.`);
      const dimensions: Record<string, string> = {};
      for (const dim of d.Dimensions ?? []) {
        if (dim.Name === undefined || dim.Value === undefined) {
          throw cwError('InvalidParameterValue', `The dimensions of ${where} need a Name and a Value.`);
        }
        dimensions[dim.Name] = dim.Value;
      }
      const t = d.Timestamp ?? now;
      const points: Datapoint[] = [];
      if (d.StatisticValues !== undefined) {
        const s = d.StatisticValues;
        points.push({ t, sum: s.Sum, count: s.SampleCount, min: s.Minimum, max: s.Maximum });
      } else if (d.Values !== undefined) {
        if (d.Counts !== undefined && d.Counts.length !== d.Values.length) {
          throw cwError(
            'InvalidParameterValue',
            `The arrays Values and Counts of ${where} must have the same length.`,
          );
        }
        d.Values.forEach((v, k) => {
          const c = d.Counts?.[k] ?? 1;
          points.push({ t, sum: v * c, count: c, min: v, max: v });
        });
      } else if (d.Value !== undefined) {
        if (!Number.isFinite(d.Value))
          throw cwError('InvalidParameterValue', `The value of ${where}.Value is invalid.`);
        points.push({ t, sum: d.Value, count: 1, min: d.Value, max: d.Value });
      } else {
        throw cwError(
          'InvalidParameterCombination',
          `${where} must contain Value, Values or StatisticValues.`,
        );
      }
      staged.push({ id: { namespace, name: d.MetricName, dimensions }, points });
    });
    for (const s of staged) for (const p of s.points) this.#store(s.id, p);
  }

  /**
   * One log line in Embedded Metric Format (what Powertools Metrics prints). Returns how many
   * datapoints it held; a line without `_aws` is an ordinary log line (0). A line that claims
   * to be EMF but is malformed throws `InputInvalidError`.
   */
  ingestEmf(line: string): number {
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      return 0;
    }
    if (typeof doc !== 'object' || doc === null || !('_aws' in doc)) return 0;
    const root = doc as Record<string, unknown>;
    const bad = (message: string) => new InputInvalidError('EMF log line', [{ path: '_aws', message }]);
    const aws = root['_aws'] as { Timestamp?: unknown; CloudWatchMetrics?: unknown };
    if (typeof aws !== 'object' || aws === null || !Array.isArray(aws.CloudWatchMetrics)) {
      throw bad('CloudWatchMetrics must be an array');
    }
    const t = typeof aws.Timestamp === 'number' ? aws.Timestamp : this.#ctx.now();
    let count = 0;
    for (const directive of aws.CloudWatchMetrics as unknown[]) {
      const d = directive as { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown };
      if (typeof d.Namespace !== 'string' || !Array.isArray(d.Metrics))
        throw bad('a directive needs Namespace and Metrics');
      const dimensionSets =
        Array.isArray(d.Dimensions) && d.Dimensions.length > 0 ? (d.Dimensions as unknown[]) : [[]];
      for (const set of dimensionSets) {
        if (!Array.isArray(set)) throw bad('Dimensions must be an array of arrays');
        const dimensions: Record<string, string> = {};
        for (const name of set as unknown[]) {
          const value = root[String(name)];
          if (typeof value !== 'string') throw bad(`dimension ${String(name)} has no string value`);
          dimensions[String(name)] = value;
        }
        for (const m of d.Metrics as unknown[]) {
          const metricName = (m as { Name?: unknown }).Name;
          if (typeof metricName !== 'string') throw bad('a metric needs a Name');
          const raw = root[metricName];
          const values = Array.isArray(raw) ? raw : [raw];
          for (const v of values) {
            if (typeof v !== 'number' || !Number.isFinite(v))
              throw bad(`metric ${metricName} has no numeric value`);
            this.#store(
              { namespace: d.Namespace, name: metricName, dimensions },
              { t, sum: v, count: 1, min: v, max: v },
            );
            count += 1;
          }
        }
      }
    }
    return count;
  }

  /** Statistics per period in [start, end), newest first (GetMetricData's default order). */
  getMetricData(queries: readonly MetricQuery[], startMs: number, endMs: number): MetricResult[] {
    this.#ctx.iam.check('cloudwatch', 'cloudwatch:GetMetricData', ['*']);
    if (endMs <= startMs)
      throw cwError('InvalidParameterValue', 'The parameter EndTime must be greater than StartTime.');
    return queries.map((q) => {
      if (q.periodSeconds < 1 || (q.periodSeconds >= 60 && q.periodSeconds % 60 !== 0)) {
        throw cwError(
          'InvalidParameterValue',
          `The parameter Period of ${q.id} must be 1, 5, 10, 30 or a multiple of 60.`,
        );
      }
      const periodMs = q.periodSeconds * 1000;
      const points = this.#points(q.metric).filter((p) => p.t >= startMs && p.t < endMs);
      const buckets = new Map<number, Datapoint[]>();
      for (const p of points) {
        const start = Math.floor(p.t / periodMs) * periodMs;
        const list = buckets.get(start) ?? [];
        list.push(p);
        buckets.set(start, list);
      }
      const starts = [...buckets.keys()].sort((a, b) => b - a);
      return {
        id: q.id,
        label: q.label ?? q.metric.name,
        timestamps: starts,
        values: starts.map((s) => aggregate(buckets.get(s) ?? [], q.stat) ?? 0),
      };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Alarms

  defineAlarm(input: AlarmDefinitionInput): AlarmView {
    const parsed = alarmSchema.safeParse(input);
    if (!parsed.success) {
      throw new InputInvalidError(
        'alarm definition',
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const def = parsed.data;
    this.#alarms.get(def.name)?.task?.cancel();
    const record: AlarmRecord = {
      def,
      arn: `arn:aws:cloudwatch:${this.#ctx.region}:${this.#ctx.accountId}:alarm:${def.name}`,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: this.#ctx.now(),
      task: undefined,
    };
    this.#alarms.set(def.name, record);
    this.#scheduleEvaluation(record);
    return this.#view(record);
  }

  deleteAlarm(name: string): void {
    this.#alarms.get(name)?.task?.cancel();
    this.#alarms.delete(name);
  }

  describeAlarms(names?: readonly string[], state?: AlarmState): AlarmView[] {
    this.#ctx.iam.check('cloudwatch', 'cloudwatch:DescribeAlarms', ['*']);
    this.#ctx.scheduler.runDue();
    return [...this.#alarms.values()]
      .filter(
        (a) =>
          (names === undefined || names.length === 0 || names.includes(a.def.name)) &&
          (state === undefined || a.state === state),
      )
      .sort((a, b) => (a.def.name < b.def.name ? -1 : 1))
      .map((a) => this.#view(a));
  }

  /** Receives every alarm state change as the EventBridge event; returns the unsubscribe function. */
  onAlarmStateChange(listener: (event: AlarmStateChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Evaluates one alarm at `at` (normally done by the clock at every period boundary). */
  evaluateAlarm(name: string, at: number = this.#ctx.now()): AlarmState {
    const record = this.#alarms.get(name);
    if (record === undefined) throw cwError('ResourceNotFound', `Alarm ${name} does not exist.`);
    this.#evaluate(record, at);
    return record.state;
  }

  #scheduleEvaluation(record: AlarmRecord): void {
    const periodMs = record.def.periodSeconds * 1000;
    const next = (Math.floor(this.#ctx.now() / periodMs) + 1) * periodMs;
    const tick = (at: number) => {
      if (this.#alarms.get(record.def.name) !== record) return;
      this.#evaluate(record, at);
      record.task = this.#ctx.scheduler.at(at + periodMs, tick);
    };
    record.task = this.#ctx.scheduler.at(next, tick);
  }

  #evaluate(record: AlarmRecord, at: number): void {
    const def = record.def;
    const periodMs = def.periodSeconds * 1000;
    const end = Math.floor(at / periodMs) * periodMs;
    const points = this.#points({ namespace: def.namespace, name: def.metric, dimensions: def.dimensions });
    const periods: (number | undefined)[] = [];
    for (let i = def.evaluationPeriods; i >= 1; i--) {
      const start = end - i * periodMs;
      periods.push(
        aggregate(
          points.filter((p) => p.t >= start && p.t < start + periodMs),
          def.statistic,
        ),
      );
    }
    const present = periods.filter((v): v is number => v !== undefined);
    let next: AlarmState;
    let reason: string;
    if (present.length === 0) {
      switch (def.treatMissingData) {
        case 'breaching':
          next = 'ALARM';
          reason = 'Threshold Crossed: no datapoints were received (treated as breaching)';
          break;
        case 'notBreaching':
          next = 'OK';
          reason = 'Threshold Crossed: no datapoints were received (treated as not breaching)';
          break;
        case 'ignore':
          return;
        case 'missing':
          next = 'INSUFFICIENT_DATA';
          reason = `Insufficient Data: ${def.evaluationPeriods} datapoints were unknown.`;
          break;
      }
    } else {
      // Missing periods count as breaching / not breaching, or (missing, ignore) are left out.
      const considered = periods
        .map((v) => {
          if (v !== undefined) return breaches(v, def);
          if (def.treatMissingData === 'breaching') return true;
          if (def.treatMissingData === 'notBreaching') return false;
          return undefined;
        })
        .filter((b): b is boolean => b !== undefined);
      const all = considered.every(Boolean);
      next = all ? 'ALARM' : 'OK';
      reason = `Threshold Crossed: ${present.length} datapoint${present.length === 1 ? '' : 's'} [${present.join(', ')}] ${all ? 'was' : 'was not'} ${comparisonText(def)} the threshold (${def.threshold}).`;
    }
    if (next === record.state) return;
    const previous = { value: record.state, reason: record.reason, timestamp: record.updatedAt };
    record.state = next;
    record.reason = reason;
    record.updatedAt = at;
    const event = this.#event(record, previous, present);
    this.#ctx.events.record(
      at,
      'cloudwatch.alarm.state',
      def.name,
      `alarm ${def.name}: ${previous.value} -> ${next}`,
      {
        alarmName: def.name,
        from: previous.value,
        to: next,
        reason,
      },
    );
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #event(
    record: AlarmRecord,
    previous: { value: AlarmState; reason: string; timestamp: number },
    present: number[],
  ): AlarmStateChangeEvent {
    const def = record.def;
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
    return {
      version: '0',
      id: this.#ctx.ids.uuid(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: this.#ctx.accountId,
      time: new Date(record.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.#ctx.region,
      resources: [record.arn],
      detail: {
        alarmName: def.name,
        state: {
          value: record.state,
          reason: record.reason,
          reasonData: JSON.stringify({
            version: '1.0',
            queryDate: iso(record.updatedAt),
            statistic: def.statistic,
            period: def.periodSeconds,
            recentDatapoints: present,
            threshold: def.threshold,
          }),
          timestamp: iso(record.updatedAt),
        },
        previousState: {
          value: previous.value,
          reason: previous.reason,
          reasonData: '{}',
          timestamp: iso(previous.timestamp),
        },
        configuration: {
          description: def.description,
          metrics: [
            {
              id: 'm1',
              metricStat: {
                metric: { namespace: def.namespace, name: def.metric, dimensions: { ...def.dimensions } },
                period: def.periodSeconds,
                stat: def.statistic,
              },
              returnData: true,
            },
          ],
        },
      },
    };
  }

  #view(r: AlarmRecord): AlarmView {
    return { ...r.def, arn: r.arn, state: r.state, stateReason: r.reason, stateUpdatedAt: r.updatedAt };
  }

  #store(metric: MetricId, point: Datapoint): void {
    const key = metricKey(metric);
    let entry = this.#metrics.get(key);
    if (entry === undefined) {
      entry = {
        id: { namespace: metric.namespace, name: metric.name, dimensions: { ...metric.dimensions } },
        points: [],
      };
      this.#metrics.set(key, entry);
    }
    entry.points.push(point);
    // A day of one-second datapoints is plenty for a simulation; drop the oldest beyond that.
    if (entry.points.length > 100_000) entry.points.splice(0, entry.points.length - 100_000);
  }

  #points(metric: MetricId): Datapoint[] {
    return this.#metrics.get(metricKey(metric))?.points ?? [];
  }
}

function comparisonText(def: AlarmDefinition): string {
  switch (def.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return 'greater than or equal to';
    case 'GreaterThanThreshold':
      return 'greater than';
    case 'LessThanThreshold':
      return 'less than';
    case 'LessThanOrEqualToThreshold':
      return 'less than or equal to';
  }
}
