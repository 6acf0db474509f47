/**
 * The bundles' SDK schema tree-shaking (`scripts/lambda-esbuild.mjs`): computed trait keys of
 * the generated schema modules are written as the strings they name, so esbuild can drop the
 * shapes a function never uses. Same objects, far smaller bundles; the deployed-bundles e2e test
 * runs a whole failover on the result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { inlineSchemaKeys, KEPT_ERRORS, lambdaBuildOptions, pruneErrorRegistrations, SCHEMA_MODULE, sdkSchemaTreeShaking } from '../../scripts/lambda-esbuild.mjs';

const SAMPLE = [
  'const _xN = "xmlName";',
  'const _eQN = "ec2QueryName";',
  'const _q = "a \\"quoted\\" name";',
  'const n0 = "com.amazonaws.ec2";',
  'export var Min$ = [3, n0, "Min", 0, [], [[1, { [_eQN]: `Min`, [_xN]: "min" }]]];',
  'export var Q$ = [3, n0, "Q", 0, [], [[0, { [_q]: 1 }]]];',
  'export var Other$ = [3, n0, "Other", 0, [], [[0, { [notAConstant]: 1, [_xN]: 2 }]]];',
].join('\n');

describe('inlineSchemaKeys', () => {
  it('writes computed keys that name module-level string constants as those strings', () => {
    const { contents, replaced } = inlineSchemaKeys(SAMPLE);
    expect(replaced).toBe(4);
    expect(contents).toContain('{ "ec2QueryName": `Min`, "xmlName": "min" }');
    expect(contents).toContain('{ "a \\"quoted\\" name": 1 }');
    // Not a constant of the file: left computed.
    expect(contents).toContain('[notAConstant]: 1, "xmlName": 2');
  });

  it('builds the same objects as the original source', () => {
    const evaluate = (src: string) =>
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed test string
      new Function('notAConstant', `${src.replaceAll('export var', 'var')}; return [Min$, Q$, Other$];`)('k') as unknown;
    expect(evaluate(inlineSchemaKeys(SAMPLE).contents)).toEqual(evaluate(SAMPLE));
  });

  it('applies to the generated schema modules of every SDK client, and only to them', () => {
    expect(SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js')).toBe(true);
    expect(SCHEMA_MODULE.test('C:\\x\\node_modules\\@aws-sdk\\client-sfn\\dist-es\\schemas\\schemas_1.js')).toBe(true);
    expect(SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-ec2/dist-es/commands/RunInstancesCommand.js')).toBe(false);
    expect(SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-ec2/dist-cjs/schemas/schemas_0.js')).toBe(false);
  });

  it('lets esbuild drop the EC2 shapes a client with two commands does not use', async () => {
    const size = async (withPlugin: boolean) => {
      const options = lambdaBuildOptions(PROJECT_ROOT);
      const res = await build({
        ...options,
        plugins: (options.plugins ?? []).filter((p) => withPlugin || p.name !== sdkSchemaTreeShaking().name),
        stdin: {
          contents: "export { EC2Client, DescribeInstancesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';",
          resolveDir: PROJECT_ROOT,
          loader: 'ts',
        },
        sourcemap: false,
        write: false,
        metafile: true,
      });
      const inputs = Object.values(res.metafile.outputs)[0]?.inputs ?? {};
      const schemas = Object.entries(inputs).filter(([path]) => SCHEMA_MODULE.test(path));
      expect(schemas).toHaveLength(1);
      return schemas[0]?.[1].bytesInOutput ?? 0;
    };
    const [shaken, whole] = await Promise.all([size(true), size(false)]);
    // The whole EC2 model is over half a megabyte; the shapes of two operations are a few percent of it.
    expect(whole).toBeGreaterThan(400 * 1024);
    expect(shaken).toBeGreaterThan(0);
    expect(shaken / whole).toBeLessThan(0.2);
  }, 60_000);
});

describe('pruneErrorRegistrations (the SSM client keeps the errors of GetParameter only)', () => {
  const REGISTRY = [
    'const n0_registry = new TypeRegistry(n0);',
    'n0_registry.registerError(AccessDeniedException$, AccessDeniedException);',
    'n0_registry.registerError(ParameterNotFound$, ParameterNotFound);',
    '_s_registry.registerError(SSMServiceException$, SSMServiceException);',
    'n0_registry.registerError(Odd$, NotTheSame);',
  ].join('\n');

  it('removes the registrations of the other classes and keeps the listed ones and anything unusual', () => {
    const { contents, removed } = pruneErrorRegistrations(REGISTRY, KEPT_ERRORS['client-ssm'] ?? []);
    expect(removed).toBe(1);
    expect(contents).not.toContain('AccessDeniedException');
    expect(contents).toContain('n0_registry.registerError(ParameterNotFound$, ParameterNotFound);');
    expect(contents).toContain('_s_registry.registerError(SSMServiceException$, SSMServiceException);');
    expect(contents).toContain('registerError(Odd$, NotTheSame)');
  });

  it('a bundle of the SSM client is a fraction of the whole, and an unregistered error still arrives by its name', async () => {
    const bundle = async (withPlugin: boolean) => {
      const options = lambdaBuildOptions(PROJECT_ROOT);
      const res = await build({
        ...options,
        plugins: (options.plugins ?? []).filter((p) => withPlugin || p.name !== sdkSchemaTreeShaking().name),
        stdin: {
          contents: [
            "import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm';",
            // An answer as Parameter Store gives it, without a network: the error shape on the wire.
            'export async function fail(type) {',
            '  const client = new SSMClient({ region: "eu-central-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1,',
            '    requestHandler: { handle: async () => ({ response: { statusCode: 400, headers: { "content-type": "application/x-amz-json-1.1" },',
            '      body: Buffer.from(JSON.stringify({ __type: type, message: "no" })) } }) } });',
            '  try { await client.send(new GetParameterCommand({ Name: "/p", WithDecryption: true })); } catch (e) { return [e.name, e.$fault, e.$metadata?.httpStatusCode]; }',
            '}',
          ].join('\n'),
          resolveDir: PROJECT_ROOT,
          loader: 'js',
        },
        sourcemap: false,
        write: false,
        metafile: true,
      });
      const inputs = Object.values(res.metafile.outputs)[0]?.inputs ?? {};
      const ssmBytes = Object.entries(inputs).filter(([path]) => path.includes('client-ssm')).reduce((s, [, v]) => s + v.bytesInOutput, 0);
      return { ssmBytes, code: res.outputFiles?.[0]?.text ?? '' };
    };
    const [pruned, whole] = await Promise.all([bundle(true), bundle(false)]);
    expect(whole.ssmBytes).toBeGreaterThan(50 * 1024);
    expect(pruned.ssmBytes / whole.ssmBytes).toBeLessThan(0.3);
    const dir = mkdtempSync(join(tmpdir(), 'pan-failover-ssm-bundle-'));
    try {
      const file = join(dir, 'ssm.mjs');
      writeFileSync(file, pruned.code);
      const mod = (await import(pathToFileURL(file).href)) as { fail: (type: string) => Promise<unknown[]> };
      // Pruned: arrives as the service's base exception, named by its code.
      expect(await mod.fail('AccessDeniedException')).toEqual(['AccessDeniedException', 'client', 400]);
      expect(await mod.fail('ThrottlingException')).toEqual(['ThrottlingException', 'client', 400]);
      // Kept: its own class.
      expect(await mod.fail('ParameterNotFound')).toEqual(['ParameterNotFound', 'client', 400]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
