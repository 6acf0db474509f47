/**
 * The JSON protocols, chosen by `X-Amz-Target`: DynamoDB and Step Functions (awsJson1_0),
 * Secrets Manager and SSM Parameter Store (awsJson1_1), CloudWatch (awsJson1_0 in query-compatible mode: the error code
 * travels in the `x-amzn-query-error` header). Timestamps are epoch seconds.
 */
import { SimAwsError, type ServiceName } from '#sim/world/aws-error.js';
import type { MetricDatum, MetricQuery, Statistic } from '#sim/world/cloudwatch.js';
import { STATISTICS } from '#sim/world/cloudwatch.js';
import type { DeleteItemInput, GetItemInput, PutItemInput } from '#sim/world/dynamodb.js';
import type { ExecutionRecord, SfnExecutionStatus, SfnHistoryEvent } from '#sim/world/sfn.js';
import type { World } from '#sim/world/world.js';
import type { HandlerContext, WireResponse } from './protocol.js';

type Body = Record<string, unknown>;
type Operation = (body: Body, world: World) => unknown;

interface JsonService {
  readonly service: ServiceName;
  /** Key of the request counts and faults (`dynamodb`, `sfn`...). */
  readonly contentType: string;
  /** `__type` prefix of errors. */
  readonly errorNamespace: string;
  readonly operations: Readonly<Record<string, Operation>>;
  /** CloudWatch: error code in `x-amzn-query-error`, JSON shape name in `__type`. */
  readonly queryCompatible?: boolean;
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function invalid(service: ServiceName, message: string): SimAwsError {
  return new SimAwsError(
    service,
    service === 'cloudwatch' ? 'InvalidParameterValue' : 'ValidationException',
    message,
  );
}

function str(service: ServiceName, body: Body, key: string, requiredMember = true): string | undefined {
  const v = body[key];
  if (v === undefined && !requiredMember) return undefined;
  if (typeof v !== 'string') {
    throw service === 'cloudwatch'
      ? new SimAwsError('cloudwatch', 'MissingParameter', `The parameter ${key} is required.`)
      : invalid(
          service,
          `1 validation error detected: Value at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
        );
  }
  return v;
}

function lowerFirst(s: string): string {
  return s.slice(0, 1).toLowerCase() + s.slice(1);
}

function obj(service: ServiceName, body: Body, key: string): Body {
  const v = body[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid(
      service,
      `1 validation error detected: Value at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v as Body;
}

// ---------------------------------------------------------------------------------------------

const dynamodb: JsonService = {
  service: 'dynamodb',
  contentType: 'application/x-amz-json-1.0',
  errorNamespace: 'com.amazonaws.dynamodb.v20120810#',
  operations: {
    GetItem: (b, w) => {
      str('dynamodb', b, 'TableName');
      obj('dynamodb', b, 'Key');
      return w.dynamodb.getItem(b as unknown as GetItemInput);
    },
    PutItem: (b, w) => {
      str('dynamodb', b, 'TableName');
      obj('dynamodb', b, 'Item');
      return w.dynamodb.putItem(b as unknown as PutItemInput);
    },
    DeleteItem: (b, w) => {
      str('dynamodb', b, 'TableName');
      obj('dynamodb', b, 'Key');
      return w.dynamodb.deleteItem(b as unknown as DeleteItemInput);
    },
    Scan: (b, w) => {
      const name = str('dynamodb', b, 'TableName') ?? '';
      const items = w.dynamodb.scan(name);
      const t = w.dynamodb.describeTable(name);
      const keyOf = (i: Record<string, unknown>) => JSON.stringify([i[t.partitionKey], i[t.sortKey]]);
      const startKey = b['ExclusiveStartKey'] as Record<string, unknown> | undefined;
      const start = startKey === undefined ? 0 : items.findIndex((i) => keyOf(i) === keyOf(startKey)) + 1;
      const limit = typeof b['Limit'] === 'number' && b['Limit'] > 0 ? b['Limit'] : items.length;
      const page = items.slice(start, start + limit);
      const last = page.at(-1);
      return {
        Items: page,
        Count: page.length,
        ScannedCount: page.length,
        ...(start + limit < items.length && last ? { LastEvaluatedKey: { [t.partitionKey]: last[t.partitionKey], [t.sortKey]: last[t.sortKey] } } : {}),
      };
    },
    DescribeTable: (b, w) => {
      const t = w.dynamodb.describeTable(str('dynamodb', b, 'TableName') ?? '');
      return {
        Table: {
          TableName: t.name,
          TableStatus: 'ACTIVE',
          ItemCount: t.itemCount,
          CreationDateTime: seconds(t.createdAt),
          TableArn: `arn:aws:dynamodb:${w.region}:${w.accountId}:table/${t.name}`,
          KeySchema: [
            { AttributeName: t.partitionKey, KeyType: 'HASH' },
            { AttributeName: t.sortKey, KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: t.partitionKey, AttributeType: 'S' },
            { AttributeName: t.sortKey, AttributeType: 'S' },
          ],
          BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        },
      };
    },
  },
};

function executionJson(e: ExecutionRecord, full: boolean): Body {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    stopDate: seconds(e.stopDate),
    ...(full ? { input: e.input, output: e.output, error: e.error, cause: e.cause } : {}),
  };
}

function historyEventJson(e: SfnHistoryEvent, previous: number): Body {
  const details: Body = {};
  if (e.type === 'ExecutionStarted') details['executionStartedEventDetails'] = { input: e.input ?? '{}', roleArn: 'arn:aws:iam::000000000000:role/sim' };
  else if (e.type === 'ExecutionSucceeded') details['executionSucceededEventDetails'] = { output: e.output ?? '{}' };
  else if (e.type === 'ExecutionFailed') details['executionFailedEventDetails'] = { error: e.error, cause: e.cause };
  else if (e.type === 'TaskSucceeded') details['taskSucceededEventDetails'] = { resourceType: 'lambda', resource: 'invoke', output: e.output ?? '{}' };
  else if (e.type.endsWith('StateEntered')) details['stateEnteredEventDetails'] = { name: e.stateName, input: e.input ?? '{}' };
  return { timestamp: seconds(e.at), type: e.type, id: e.id, previousEventId: previous, ...details };
}

const SFN_STATUSES: readonly SfnExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

const sfn: JsonService = {
  service: 'sfn',
  contentType: 'application/x-amz-json-1.0',
  errorNamespace: 'com.amazonaws.swf.service.model#',
  operations: {
    StartExecution: (b, w) => {
      const out = w.sfn.startExecution({
        stateMachineArn: str('sfn', b, 'stateMachineArn') ?? '',
        name: str('sfn', b, 'name', false),
        input: str('sfn', b, 'input', false),
      });
      return { executionArn: out.executionArn, startDate: seconds(out.startDate) };
    },
    DescribeExecution: (b, w) =>
      executionJson(w.sfn.describeExecution(str('sfn', b, 'executionArn') ?? ''), true),
    ListStateMachines: (_b, w) => ({
      stateMachines: w.sfn.listStateMachines().map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: 'STANDARD', creationDate: 0 })),
    }),
    GetExecutionHistory: (b, w) => {
      const events = w.sfn.history(str('sfn', b, 'executionArn') ?? '');
      const ordered = b['reverseOrder'] === true ? [...events].reverse() : events;
      const max = typeof b['maxResults'] === 'number' && b['maxResults'] > 0 ? b['maxResults'] : 100;
      const from = typeof b['nextToken'] === 'string' ? Number(b['nextToken']) : 0;
      if (!Number.isInteger(from) || from < 0) throw new SimAwsError('sfn', 'InvalidToken', 'Invalid Token');
      const page = ordered.slice(from, from + max);
      return {
        events: page.map((e) => historyEventJson(e, e.id - 1)),
        nextToken: from + max < ordered.length ? String(from + max) : undefined,
      };
    },
    StopExecution: (b, w) => {
      const out = w.sfn.stopExecution(str('sfn', b, 'executionArn') ?? '', {
        error: str('sfn', b, 'error', false),
        cause: str('sfn', b, 'cause', false),
      });
      return { stopDate: seconds(out.stopDate) };
    },
    ListExecutions: (b, w) => {
      const filter = b['statusFilter'];
      if (filter !== undefined && !SFN_STATUSES.includes(filter as SfnExecutionStatus)) {
        throw invalid(
          'sfn',
          `1 validation error detected: Value '${JSON.stringify(filter)}' at 'statusFilter' failed to satisfy constraint`,
        );
      }
      const all = w.sfn.listExecutions(
        str('sfn', b, 'stateMachineArn') ?? '',
        filter as SfnExecutionStatus | undefined,
      );
      const max = typeof b['maxResults'] === 'number' && b['maxResults'] > 0 ? b['maxResults'] : 100;
      const from = typeof b['nextToken'] === 'string' ? Number(b['nextToken']) : 0;
      if (!Number.isInteger(from) || from < 0) throw new SimAwsError('sfn', 'InvalidToken', 'Invalid Token');
      const page = all.slice(from, from + max);
      return {
        executions: page.map((e) => executionJson(e, false)),
        nextToken: from + max < all.length ? String(from + max) : undefined,
      };
    },
  },
};

const secretsmanager: JsonService = {
  service: 'secretsmanager',
  contentType: 'application/x-amz-json-1.1',
  errorNamespace: '',
  operations: {
    ListSecrets: (_b, w) => ({
      SecretList: w.secrets.list().map((x) => ({ ARN: x.arn, Name: x.name, CreatedDate: seconds(x.createdDate), LastChangedDate: seconds(x.createdDate), SecretVersionsToStages: { [x.versionId]: ['AWSCURRENT'] } })),
    }),
    GetSecretValue: (b, w) => {
      const s = w.secrets.get(str('secretsmanager', b, 'SecretId') ?? '');
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: s.versionId,
        SecretString: s.secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: seconds(s.createdDate),
      };
    },
  },
};

const ssm: JsonService = {
  service: 'ssm',
  contentType: 'application/x-amz-json-1.1',
  errorNamespace: '',
  operations: {
    GetParameter: (b, w) => {
      const p = w.parameters.getParameter(b);
      return {
        Parameter: {
          Name: p.name,
          ARN: p.arn,
          Type: p.type,
          Value: p.value,
          Version: p.version,
          LastModifiedDate: seconds(p.lastModifiedDate),
          DataType: 'text',
        },
      };
    },
  },
};

function dimensions(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of Array.isArray(v) ? (v as { Name?: unknown; Value?: unknown }[]) : []) {
    if (typeof d.Name !== 'string' || typeof d.Value !== 'string') {
      throw new SimAwsError('cloudwatch', 'InvalidParameterValue', 'A dimension needs a Name and a Value.');
    }
    out[d.Name] = d.Value;
  }
  return out;
}

function epochMs(v: unknown, name: string): number {
  if (typeof v !== 'number')
    throw new SimAwsError('cloudwatch', 'MissingParameter', `The parameter ${name} is required.`);
  return v * 1000;
}

const cloudwatch: JsonService = {
  service: 'cloudwatch',
  contentType: 'application/x-amz-json-1.0',
  errorNamespace: 'com.amazonaws.cloudwatch#',
  queryCompatible: true,
  operations: {
    PutMetricData: (b, w) => {
      const data = Array.isArray(b['MetricData']) ? (b['MetricData'] as Body[]) : [];
      const datums: MetricDatum[] = data.map((d) => ({
        ...(d as MetricDatum),
        Timestamp: typeof d['Timestamp'] === 'number' ? d['Timestamp'] * 1000 : undefined,
      }));
      w.cloudwatch.putMetricData(typeof b['Namespace'] === 'string' ? b['Namespace'] : undefined, datums);
      return {};
    },
    GetMetricData: (b, w) => {
      const raw = Array.isArray(b['MetricDataQueries']) ? (b['MetricDataQueries'] as Body[]) : [];
      if (raw.length === 0)
        throw new SimAwsError(
          'cloudwatch',
          'MissingParameter',
          'The parameter MetricDataQueries is required.',
        );
      const queries: MetricQuery[] = raw.map((q) => {
        const stat = q['MetricStat'] as Body | undefined;
        const metric = stat?.['Metric'] as Body | undefined;
        if (stat === undefined || metric === undefined) {
          throw new SimAwsError(
            'cloudwatch',
            'InvalidParameterValue',
            'The simulator supports MetricStat queries only (no Expression).',
          );
        }
        const statistic = stat['Stat'];
        if (!STATISTICS.includes(statistic as Statistic)) {
          throw new SimAwsError(
            'cloudwatch',
            'InvalidParameterValue',
            `The statistic ${String(statistic)} is not supported.`,
          );
        }
        return {
          id: String(q['Id']),
          label: typeof q['Label'] === 'string' ? q['Label'] : undefined,
          periodSeconds: Number(stat['Period']),
          stat: statistic as Statistic,
          metric: {
            namespace: String(metric['Namespace']),
            name: String(metric['MetricName']),
            dimensions: dimensions(metric['Dimensions']),
          },
        };
      });
      const results = w.cloudwatch.getMetricData(
        queries,
        epochMs(b['StartTime'], 'StartTime'),
        epochMs(b['EndTime'], 'EndTime'),
      );
      const ascending = b['ScanBy'] === 'TimestampAscending';
      return {
        MetricDataResults: results.map((r) => {
          const order = ascending ? [...r.timestamps.keys()].reverse() : [...r.timestamps.keys()];
          return {
            Id: r.id,
            Label: r.label,
            Timestamps: order.map((i) => (r.timestamps[i] ?? 0) / 1000),
            Values: order.map((i) => r.values[i] ?? 0),
            StatusCode: 'Complete',
          };
        }),
        Messages: [],
      };
    },
    DescribeAlarms: (b, w) => {
      const names = Array.isArray(b['AlarmNames']) ? (b['AlarmNames'] as string[]) : undefined;
      const state = b['StateValue'] as 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | undefined;
      return {
        MetricAlarms: w.cloudwatch.describeAlarms(names, state).map((a) => ({
          AlarmName: a.name,
          AlarmArn: a.arn,
          AlarmDescription: a.description,
          StateValue: a.state,
          StateReason: a.stateReason,
          StateUpdatedTimestamp: seconds(a.stateUpdatedAt),
          MetricName: a.metric,
          Namespace: a.namespace,
          Statistic: a.statistic,
          Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Period: a.periodSeconds,
          EvaluationPeriods: a.evaluationPeriods,
          Threshold: a.threshold,
          ComparisonOperator: a.comparison,
          TreatMissingData: a.treatMissingData,
          ActionsEnabled: true,
        })),
        CompositeAlarms: [],
      };
    },
  },
};

/** CloudWatch's JSON shape names for its query error codes. */
const CLOUDWATCH_SHAPES: Readonly<Record<string, string>> = {
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterValue: 'InvalidParameterValueException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  ResourceNotFound: 'ResourceNotFound',
  InternalServiceError: 'InternalServiceFault',
  LimitExceeded: 'LimitExceededFault',
  ValidationError: 'ValidationException',
};

const BY_PREFIX: Readonly<Record<string, JsonService>> = {
  DynamoDB_20120810: dynamodb,
  AWSStepFunctions: sfn,
  secretsmanager,
  AmazonSSM: ssm,
  GraniteServiceVersion20100801: cloudwatch,
};

export function jsonServiceFor(target: string): { service: JsonService; operation: string } | undefined {
  const dot = target.lastIndexOf('.');
  const service = BY_PREFIX[target.slice(0, dot)];
  return service === undefined ? undefined : { service, operation: target.slice(dot + 1) };
}

function jsonError(s: JsonService, e: SimAwsError, requestId: string): WireResponse {
  const shape = s.queryCompatible === true ? (CLOUDWATCH_SHAPES[e.code] ?? e.code) : e.code;
  return {
    status: e.httpStatus,
    headers: {
      'content-type': s.contentType,
      'x-amzn-requestid': requestId,
      ...(s.queryCompatible === true ? { 'x-amzn-query-error': `${e.code};${e.faultType}` } : {}),
    },
    body: JSON.stringify({ __type: `${s.errorNamespace}${shape}`, message: e.message, ...e.extra }),
  };
}

export async function handleJson(
  target: string,
  rawBody: string,
  ctx: HandlerContext,
): Promise<WireResponse> {
  const found = jsonServiceFor(target);
  if (found === undefined) {
    ctx.count(`unknown:${target}`);
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': ctx.requestId },
      body: JSON.stringify({
        __type: 'com.amazon.coral.service#UnknownOperationException',
        message: `Unknown target ${target}`,
      }),
    };
  }
  const { service: s, operation } = found;
  ctx.count(`${s.service}:${operation}`);
  try {
    const op = s.operations[operation];
    if (op === undefined) {
      throw new SimAwsError(
        s.service,
        'UnknownOperationException',
        `The operation ${operation} is not supported by the simulator.`,
      );
    }
    let body: Body;
    try {
      const parsed: unknown = rawBody === '' ? {} : JSON.parse(rawBody);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new TypeError('not a JSON object');
      body = parsed as Body;
    } catch (e) {
      throw new SimAwsError(
        s.service,
        'SerializationException',
        `Request body is not a JSON object: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const out = await ctx.world.call(`${s.service}:${operation}`, () => op(body, ctx.world));
    return {
      status: 200,
      headers: { 'content-type': s.contentType, 'x-amzn-requestid': ctx.requestId },
      body: JSON.stringify(out),
    };
  } catch (e) {
    if (e instanceof SimAwsError) return jsonError(s, e, ctx.requestId);
    throw e;
  }
}
