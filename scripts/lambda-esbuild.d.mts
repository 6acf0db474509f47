import type { BuildOptions, Plugin } from 'esbuild';
export function lambdaCredentials(root: string): Plugin;
export function lambdaBuildOptions(root: string): BuildOptions;
