/**
 * A deployment reads the API keys from Secrets Manager or SSM Parameter Store (SecureString) only. `{ file }` and `{ env }` key
 * references are for the CLI on an engineer's machine: packaged, a file reference would need
 * the key file inside the function's zip and an environment reference would need the key in a
 * plaintext Lambda environment variable (readable by anyone with `lambda:GetFunctionConfiguration`,
 * kept in every published version). `prepare-deploy` (through `deployment()`) refuses both.
 */
import type { Config } from '#shared/config/schema.js';
import { ROLES } from '#shared/config/schema.js';
import { ConfigInvalidError, type ValidationIssue } from '#shared/errors.js';

export function assertDeployableSecrets(config: Config): void {
  const issues: ValidationIssue[] = [];
  config.pairs.forEach((pair, p) => {
    for (const role of ROLES) {
      const key = pair.firewalls[role].apiKey;
      if ('secretsManager' in key || 'ssmParameter' in key) continue;
      const kind = 'file' in key ? 'a file reference' : 'an environment variable reference';
      const where = 'file' in key ? 'inside the function zip' : 'in a plaintext Lambda environment variable';
      issues.push({
        path: `pairs[${p}].firewalls.${role}.apiKey`,
        message: `is ${kind} (${'file' in key ? 'file' : 'env'}); a deployment reads API keys from Secrets Manager or SSM Parameter Store only, since this would put the key ${where}: store it as a SecureString parameter and use { ssmParameter: <name or ARN> }, or in Secrets Manager and use { secretsManager: <name or ARN> }`,
      });
    }
  });
  if (issues.length > 0) throw new ConfigInvalidError('for deployment', issues);
}
