/**
 * `--json`: every command prints one JSON document on stdout, in one versioned envelope
 * (documented in docs/cli-json.md). `schemaVersion` changes only when a field changes meaning or
 * goes away; new fields may appear within a version.
 */
import type { ClassifiedError } from './exit.js';

export const JSON_SCHEMA_VERSION = 1;

export interface JsonEnvelope<T> {
  readonly schemaVersion: typeof JSON_SCHEMA_VERSION;
  readonly command: string;
  /** The process's exit code (cli/exit.ts). */
  readonly exitCode: number;
  readonly result?: T;
  readonly error?: { readonly name: string; readonly message: string; readonly hint?: string };
}

export function jsonEnvelope<T>(command: string, exitCode: number, result: T): JsonEnvelope<T> {
  return { schemaVersion: JSON_SCHEMA_VERSION, command, exitCode, result };
}

/** Prints the result of a command as its `--json` document and returns the exit code. */
export function printJson<T>(command: string, exitCode: number, result: T): number {
  process.stdout.write(`${JSON.stringify(jsonEnvelope(command, exitCode, result), null, 2)}\n`);
  return exitCode;
}

/** The `--json` document of a command that ended in an error. */
export function printJsonError(command: string, error: ClassifiedError): void {
  const doc: JsonEnvelope<never> = {
    schemaVersion: JSON_SCHEMA_VERSION,
    command,
    exitCode: error.exitCode,
    error: { name: error.name, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
