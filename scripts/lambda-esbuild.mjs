// esbuild options of the Lambda bundles, shared by the build and the bundle benchmark so that
// what is measured is what is deployed.
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
    plugins: [lambdaCredentials(root)],
  };
}
