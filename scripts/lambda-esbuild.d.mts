import type { BuildOptions, Plugin } from 'esbuild';
export function lambdaCredentials(root: string): Plugin;
export function lambdaBuildOptions(root: string): BuildOptions;
export function inlineSchemaKeys(source: string): { contents: string; replaced: number };
export const SCHEMA_MODULE: RegExp;
export function sdkSchemaTreeShaking(): Plugin;
