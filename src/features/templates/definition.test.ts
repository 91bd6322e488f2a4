import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definitionIssues, fillText, variablesOf } from './definition.js';

test('variablesOf: numbered variables once each, by number; named ones in order of appearance', () => {
  assert.deepEqual(variablesOf('{{2}} then {{1}}, {{ 2 }} again'), ['1', '2']);
  assert.deepEqual(variablesOf('{{10}} {{9}} {{1}}'), ['1', '9', '10']);
  assert.deepEqual(variablesOf('Hi {{first_name}}, order {{order_id}}, {{first_name}}'), ['first_name', 'order_id']);
  assert.deepEqual(variablesOf('no variables { {1} }'), []);
  assert.deepEqual(variablesOf(undefined), []);
});

test('fillText: each variable by its position; a repeated one filled every time; a missing value leaves it', () => {
  assert.equal(fillText('{{1}}, {{2}} and {{1}} again', ['Sara', 'Omar']), 'Sara, Omar and Sara again');
  assert.equal(fillText('Hi {{first_name}}, {{order}}', ['Sara', 'ORD-1']), 'Hi Sara, ORD-1');
  assert.equal(fillText('{{1}} {{2}}', ['only']), 'only {{2}}');
  assert.equal(fillText('$&{{1}}', ['$1 $&']), '$&$1 $&', 'values are not replacement patterns');
});

test('definitionIssues: a valid definition has none; each rule names its member', () => {
  assert.deepEqual(definitionIssues([{ type: 'BODY', text: 'Hi {{1}}' }]), []);
  const members = (components: Parameters<typeof definitionIssues>[0]) => definitionIssues(components).flatMap((i) => i.members);
  assert.deepEqual(members([{ type: 'BODY', text: '{{1}} {{3}}' }]), ['components[0].text']);
  assert.deepEqual(members([{ type: 'BODY', text: 'x', buttons: [{ type: 'URL' }] }]), ['components[0].buttons']);
  assert.deepEqual(members([{ type: 'HEADER', format: 'IMAGE', text: 'x' }]), ['components[0].text', 'components']);
});
