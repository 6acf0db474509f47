/**
 * The error names the state machine's Retry and Catch may rely on (`errorNames()`, checked
 * against the definition in asl-definition.test.ts) are read off `ERROR_CLASSES`: every error
 * class of shared/errors.ts must be listed there, and each one's stable `name` is its class name.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '#shared/errors.js';
import { ERROR_CLASSES, errorNames, PanFailoverError } from '#shared/errors.js';

type Constructor = new (first: string, second: never[]) => PanFailoverError;

/** The module's concrete error classes (an abstract base has no stable name of its own: `Error`). */
function concreteErrorClasses(): Map<string, Constructor> {
  const found = new Map<string, Constructor>();
  for (const [exported, value] of Object.entries(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof PanFailoverError)) continue;
    const instance = new (value as unknown as Constructor)('', []);
    if (instance.name !== 'Error') found.set(exported, value as unknown as Constructor);
  }
  return found;
}

describe('error names', () => {
  it('lists every concrete error class but the local-only guard, and reads their names', () => {
    const classes = concreteErrorClasses();
    expect(classes.size).toBeGreaterThan(20);
    const listed = new Set<unknown>(ERROR_CLASSES);
    const unlisted = [...classes].filter(([, c]) => !listed.has(c)).map(([n]) => n);
    expect(unlisted).toEqual(['LocalOnlyViolationError']);
    expect(errorNames()).toEqual(ERROR_CLASSES.map((c) => c.name));
  });

  it('gives each class its own class name as its stable name', () => {
    for (const [exported, C] of concreteErrorClasses()) expect(new C('', []).name, exported).toBe(exported);
    expect(new Set(errorNames()).size).toBe(ERROR_CLASSES.length);
  });
});
