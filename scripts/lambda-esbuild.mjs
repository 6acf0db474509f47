// esbuild options of the Lambda bundles, shared by the build and the bundle benchmark so that
// what is measured is what is deployed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** In Lambda the role's credentials are in the environment: the full provider chain (SSO, INI,
 *  process, web identity, with their nested clients) is replaced by the environment provider. */
export function lambdaCredentials(root) {
  return {
    name: 'lambda-credentials',
    setup(b) {
      b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
        path: join(root, 'shared', 'runtime', 'lambda-credentials.ts'),
      }));
    },
  };
}

/**
 * The SDK's generated schema modules (`@aws-sdk/client-<x>/dist-es/schemas/schemas_0.js`) describe
 * every shape of the service as a top-level array, with trait objects keyed by computed names
 * (`{ [_xN]: _m }`, where `const _xN = "xmlName"`). esbuild must assume a computed key can run
 * code (a `toString`), so it keeps every such declaration: the whole EC2 model, 535 KiB of a
 * probe bundle that needs a handful of shapes. Writing the key as the string it names
 * (`{ "xmlName": _m }`) is the same object and lets esbuild drop the shapes nobody imports.
 * Keys that are not a module-level string constant of the same file are left as they are.
 */
export function inlineSchemaKeys(source) {
  const constants = new Map();
  for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(m[1], m[2]);
  let replaced = 0;
  const contents = source.replace(/\[(_\w+)\]:/g, (all, id) => {
    const literal = constants.get(id);
    if (literal === undefined) return all;
    replaced += 1;
    return `${literal}:`;
  });
  return { contents, replaced };
}

export const SCHEMA_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * The error classes each client's schema module keeps registered, by client; the others'
 * `registry.registerError(X$, X)` lines are removed, so esbuild drops those classes and their
 * schemas. SSM registers about 140 exception classes (some 60 KiB of a bundle) for the one
 * operation the controller calls (`GetParameter`, whose documented errors are listed). An error
 * that is not registered still arrives: the SDK throws the service's base exception with the
 * code as its `name`, which is all the controller reads (shared/adapters/aws/errors.ts).
 */
export const KEPT_ERRORS = {
  'client-ssm': ['SSMServiceException', 'InternalServerError', 'InvalidKeyId', 'ParameterNotFound', 'ParameterVersionNotFound'],
};

/** Removes `<ns>_registry.registerError(X$, X);` lines whose class is not in `keep`. */
export function pruneErrorRegistrations(source, keep) {
  const kept = new Set(keep);
  let removed = 0;
  const contents = source.replace(/^\w+_registry\.registerError\((\w+)\$, (\w+)\);$/gm, (all, schema, ctor) => {
    if (schema !== ctor || kept.has(ctor)) return all;
    removed += 1;
    return '';
  });
  return { contents, removed };
}

const clientOf = (path) => /[\\/]@aws-sdk[\\/](client-[^\\/]+)[\\/]/.exec(path)?.[1];

export function sdkSchemaTreeShaking() {
  return {
    name: 'sdk-schema-tree-shaking',
    setup(b) {
      b.onLoad({ filter: SCHEMA_MODULE }, async (args) => {
        const inlined = inlineSchemaKeys(await readFile(args.path, 'utf8')).contents;
        const keep = KEPT_ERRORS[clientOf(args.path) ?? ''];
        return { contents: keep === undefined ? inlined : pruneErrorRegistrations(inlined, keep).contents, loader: 'js' };
      });
    },
  };
}

/** Everything but the entry and the output. */
export function lambdaBuildOptions(root) {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    // CommonJS dependencies call require() for Node built-ins; give ESM output one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    plugins: [lambdaCredentials(root), sdkSchemaTreeShaking()],
  };
}
