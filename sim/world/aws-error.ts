/**
 * An error as an AWS service would return it: the service's own code and HTTP status.
 * The world throws these; the wire server renders them in each protocol's error shape and
 * the direct ports translate them into the typed errors of `shared/errors.ts`.
 */

export const SERVICES = ['ec2', 'route53', 'dynamodb', 'sfn', 'sns', 'secretsmanager', 'ssm', 'cloudwatch', 'iam', 'lambda'] as const;
export type ServiceName = (typeof SERVICES)[number];

export class SimAwsError extends Error {
  override readonly name = 'SimAwsError';
  readonly service: ServiceName;
  /** AWS error code, e.g. `InvalidRoute.NotFound`. */
  readonly code: string;
  readonly httpStatus: number;
  /** Extra members some error shapes carry (DynamoDB's `Item` on a failed condition). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    service: ServiceName,
    code: string,
    message: string,
    options: { httpStatus?: number; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.service = service;
    this.code = code;
    this.httpStatus = options.httpStatus ?? 400;
    this.extra = options.extra ?? {};
  }

  /** Client (`Sender`) or server (`Receiver`) fault, as the query protocols report it. */
  get faultType(): 'Sender' | 'Receiver' {
    return this.httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}

/** The code AWS returns for throttling, and its HTTP status, per service. */
export const THROTTLE_ERRORS: Readonly<
  Record<ServiceName, { code: string; httpStatus: number; message: string }>
> = {
  ec2: { code: 'RequestLimitExceeded', httpStatus: 503, message: 'Request limit exceeded.' },
  route53: { code: 'Throttling', httpStatus: 400, message: 'Rate exceeded' },
  dynamodb: {
    code: 'ThrottlingException',
    httpStatus: 400,
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  sfn: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  sns: { code: 'Throttling', httpStatus: 400, message: 'Rate exceeded' },
  secretsmanager: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  ssm: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  cloudwatch: { code: 'Throttling', httpStatus: 400, message: 'Rate exceeded' },
  iam: { code: 'Throttling', httpStatus: 400, message: 'Rate exceeded' },
  lambda: { code: 'TooManyRequestsException', httpStatus: 429, message: 'Rate exceeded' },
};

/** HTTP status AWS uses for a code injected by an error-rate fault. */
export function defaultStatusFor(service: ServiceName, code: string): number {
  if (code === THROTTLE_ERRORS[service].code) return THROTTLE_ERRORS[service].httpStatus;
  if (['ServiceUnavailable', 'Unavailable', 'ServiceUnavailableException'].includes(code)) return 503;
  if (/^Internal/.test(code) || code === 'ServerInternal') return 500;
  if (service === 'route53' && code.startsWith('NoSuch')) return 404;
  if (service === 'sns' && code === 'NotFound') return 404;
  return 400;
}

/**
 * The caller gets no answer at all (its network is broken): the wire server drops the
 * connection, the direct ports throw what a reset socket throws. Not an AWS error: nothing
 * answered.
 */
export class SimNoAnswer extends Error {
  override readonly name = 'SimNoAnswer';
}
