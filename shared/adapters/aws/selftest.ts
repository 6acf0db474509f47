/**
 * The self-test's AWS adapters: IAM policy simulation on the function's own role, a read of the
 * notification topic, and Lambda invocation of a deployed function (the CLI's).
 */
import { SimulatePrincipalPolicyCommand, type ContextEntry, type IAMClient } from '@aws-sdk/client-iam';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AwsCallError } from '#shared/errors.js';
import { CONTROLLER_KEY, type FunctionInvoker, type PolicyCheck, type PolicyDecision, type PolicySimulator, type SelftestRecord, type SelftestStore } from '#shared/ports/selftest.js';
import { callAws, malformedResponse } from './errors.js';

export function createPolicySimulator(client: IAMClient): PolicySimulator {
  return {
    async simulate(roleArn: string, check: PolicyCheck): Promise<PolicyDecision> {
      const operation = 'iam:SimulatePrincipalPolicy';
      const contextEntries: ContextEntry[] = Object.entries(check.context).map(([key, values]) => ({
        ContextKeyName: key,
        ContextKeyValues: [...values],
        ContextKeyType: 'stringList',
      }));
      const out = await callAws({ operation }, () =>
        client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: [check.action],
            ResourceArns: [check.resource],
            ...(contextEntries.length > 0 ? { ContextEntries: contextEntries } : {}),
          }),
        ),
      );
      const result = out.EvaluationResults?.find((r) => r.EvalActionName?.toLowerCase() === check.action.toLowerCase());
      const decision = result?.ResourceSpecificResults?.find((r) => r.EvalResourceName === check.resource)?.EvalResourceDecision ?? result?.EvalDecision;
      if (decision === undefined) throw malformedResponse(operation, `no decision for ${check.action} on ${check.resource}`);
      return { allowed: decision === 'allowed', decision };
    },
  };
}

export function createFunctionInvoker(client: LambdaClient): FunctionInvoker {
  return {
    async invoke(functionName: string, payload: unknown): Promise<unknown> {
      const operation = 'lambda:InvokeFunction';
      const out = await callAws({ operation }, () =>
        client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) })),
      );
      const text = out.Payload === undefined ? '' : new TextDecoder().decode(out.Payload);
      if (out.FunctionError !== undefined) {
        let message = text;
        try {
          const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string };
          message = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage ?? ''}`;
        } catch {
          // the raw text says it
        }
        throw new AwsCallError(operation, `${functionName} failed: ${message}`, out.FunctionError);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw malformedResponse(operation, `${functionName} answered something other than JSON`);
      }
    },
  };
}

const SELFTEST_SK = 'selftest';

export function createSelftestStore(client: DynamoDBClient, tableName: string): SelftestStore {
  const key = { pk: { S: CONTROLLER_KEY }, sk: { S: SELFTEST_SK } };
  return {
    async getLastSelftest(): Promise<SelftestRecord | undefined> {
      const out = await callAws({ operation: 'dynamodb:GetItem' }, () => client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
      const item = out.Item;
      if (item === undefined) return undefined;
      const at = Number(item.at?.N);
      const verdict = item.verdict?.S;
      if (!Number.isFinite(at) || (verdict !== 'ok' && verdict !== 'failed' && verdict !== 'incomplete')) throw malformedResponse('dynamodb:GetItem', 'the selftest item lacks at or verdict');
      let counts: Record<string, number> = {};
      let problems: string[] = [];
      try {
        counts = JSON.parse(item.counts?.S ?? '{}') as Record<string, number>;
        problems = JSON.parse(item.problems?.S ?? '[]') as string[];
      } catch {
        throw malformedResponse('dynamodb:GetItem', 'the selftest item is not readable JSON');
      }
      return { at, verdict, requestedBy: item.requestedBy?.S ?? '?', counts, problems };
    },
    async putLastSelftest(record: SelftestRecord): Promise<void> {
      await callAws({ operation: 'dynamodb:PutItem' }, () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key,
              at: { N: String(record.at) },
              verdict: { S: record.verdict },
              requestedBy: { S: record.requestedBy || '?' },
              counts: { S: JSON.stringify(record.counts) },
              problems: { S: JSON.stringify(record.problems.slice(0, 50)) },
            },
          }),
        ),
      );
    },
  };
}
