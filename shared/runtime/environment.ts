/**
 * The deployed functions' environment, read once and validated: a missing variable is an error
 * naming it, at the first invocation, not an `undefined` deep inside a failover.
 */
import * as z from 'zod/mini';
import { ConfigInvalidError } from '../errors.js';

const envSchema = z.object({
  /** Path of the configuration file inside the bundle. */
  PAN_FAILOVER_CONFIG: z._default(z.string().check(z.minLength(1)), 'pan-failover.json'),
  PAN_FAILOVER_TABLE: z.string().check(z.minLength(1)),
  PAN_FAILOVER_TOPIC_ARN: z._default(z.string(), ''),
  PAN_FAILOVER_STATE_MACHINE_ARN: z.optional(z.string().check(z.minLength(1))),
  /** The function's own role (the self-test simulates its policies). */
  PAN_FAILOVER_ROLE_ARN: z.optional(z.string().check(z.minLength(1))),
});

export type Environment = z.infer<typeof envSchema>;

export function readEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
  required: readonly (keyof Environment)[] = [],
): Environment {
  const parsed = envSchema.safeParse(env);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  if (parsed.success) {
    for (const key of required) if (!parsed.data[key]) issues.push({ path: key, message: 'is required for this function' });
  }
  if (!parsed.success || issues.length > 0) throw new ConfigInvalidError('environment', issues);
  return parsed.data;
}
