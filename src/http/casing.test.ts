import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { compileShape, normalise } from './casing.js';
import type { ValidationIssue } from '../lib/errors.js';
import { IntEnum, Nullable } from './schemas.js';

const schema = Type.Object({
  channelId: Type.String(),
  parameters: Type.Array(Type.Object({ type: Type.String(), values: Type.Array(Type.Object({ imageUrl: Type.String() })) })),
  kind: Type.Optional(IntEnum({ 1: 'Text', 3: 'Select' })),
  extra: Type.Optional(Nullable(Type.Object({ isPinned: Type.Boolean() }))),
  customFields: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const shape = compileShape(schema);
const run = (value: unknown) => {
  const issues: ValidationIssue[] = [];
  return { value: normalise(value, shape, '', issues), issues };
};

test('renames keys at every depth, through arrays and nullable objects', () => {
  const { value, issues } = run({
    CHANNELID: 'c',
    Parameters: [{ Type: 'Body', VALUES: [{ ImageUrl: 'u' }] }],
    Extra: { ISPINNED: true },
  });
  assert.deepEqual(issues, []);
  assert.deepEqual(value, { channelId: 'c', parameters: [{ type: 'Body', values: [{ imageUrl: 'u' }] }], extra: { isPinned: true } });
});

test('enum names and numeric strings become integers; unknown names are left for validation', () => {
  assert.equal((run({ kind: 'select' }).value as { kind: number }).kind, 3);
  assert.equal((run({ Kind: 'TEXT' }).value as { kind: number }).kind, 1);
  assert.equal((run({ kind: '3' }).value as { kind: number }).kind, 3);
  assert.equal((run({ kind: 'Date' }).value as { kind: string }).kind, 'Date');
});

test('free-form maps and unknown keys keep their spelling', () => {
  const { value } = run({ customFields: { Department: 'IT', department: 'x' }, Unknown: 1 });
  assert.deepEqual(value, { customFields: { Department: 'IT', department: 'x' }, Unknown: 1 });
});

test('one field spelled twice is an issue naming its path', () => {
  const { issues } = run({ parameters: [{ type: 'a', TYPE: 'b', values: [] }] });
  assert.equal(issues.length, 1);
  assert.deepEqual(issues[0]!.members, ['parameters[0].type']);
});
