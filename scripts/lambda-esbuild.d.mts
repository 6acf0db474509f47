import type { BuildOptions, Plugin } from 'esbuild';
export function lambdaCredentials(root: string): Plugin;
export function lambdaBuildOptions(root: string): BuildOptions;
export function inlineSchemaKeys(source: string): { contents: string; replaced: number };
export const SCHEMA_MODULE: RegExp;
export const KEPT_ERRORS: Readonly<Record<string, readonly string[]>>;
export function pruneErrorRegistrations(source: string, keep: readonly string[]): { contents: string; removed: number };
export function sdkSchemaTreeShaking(): Plugin;
