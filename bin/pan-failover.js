#!/usr/bin/env node
// The operators' CLI. Runs the TypeScript sources through tsx (a dependency), so an
// `npm ci` checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
