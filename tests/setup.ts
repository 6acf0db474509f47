// aws-local-stepfunctions needs Promise.withResolvers, which Node 20 lacks.
import '#shared/polyfills.js';
import { isolateFromRealAws } from '#shared/runtime/local-aws.js';

// No test can reach a real AWS account, whatever the shell running it is logged in to: the
// caller's profile, keys and endpoint variables are removed, the AWS config files are empty,
// and every SDK client built by the factory refuses a non-loopback host before signing.
isolateFromRealAws();

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
