import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetaComponent } from '../features/templates/definition.js';
import { fillKnown, type ParameterInput } from '../features/templates/fill.js';
import { AppError, errors } from '../lib/errors.js';
import { apiError, type ApiError } from './api.js';
import { inputOf, templateErrors, templateParameters, type Needs, type Values } from './template-errors.js';

/**
 * The template picker's refusals (issue 11): the parameters it builds are checked by the server's
 * own fillKnown, and each member the refusal names maps back to the input it came from. No DOM.
 */

/** A refusal as the browser reads it: the AppError in the error envelope, parsed by api.ts. */
const asApiError = (e: AppError): ApiError =>
  apiError(e.statusCode, '', { error: { code: e.code, message: e.message, validationErrors: e.extra.validationErrors ?? null, data: e.extra.data ?? {} } });

/** The picker's request checked against a definition: the refusal mapped to inputs, with the members named. */
function refuse(components: MetaComponent[], needs: Needs, values: Values) {
  const built = templateParameters(needs, values);
  let refusal: ApiError | undefined;
  try {
    fillKnown({ name: 'order_ready', language: 'en', components }, built.parameters as ParameterInput[]);
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    refusal = asApiError(e);
  }
  assert.ok(refusal, 'the API refuses');
  return { ...templateErrors(refusal, built.parts), members: Object.keys(refusal.members) };
}

const textHeader: MetaComponent = { type: 'HEADER', format: 'TEXT', text: 'Hello {{1}}' };
const body: MetaComponent = { type: 'BODY', text: 'Order {{1}} is ready at {{2}}.' };
const buttons: MetaComponent = {
  type: 'BUTTONS',
  buttons: [
    { type: 'QUICK_REPLY', text: 'Thanks' },
    { type: 'URL', text: 'Track', url: 'https://shop.example/track/{{1}}' },
  ],
};
const needs: Needs = {
  header: { format: 'TEXT' },
  bodyVariables: ['1', '2'],
  buttons: [
    { index: 0, subType: 'quick_reply', needsValue: false },
    { index: 1, subType: 'url', needsValue: true },
  ],
};

test('an empty variable and an empty link ending: each on its own input, whatever parameters[k] it was sent as', () => {
  const withHeader = refuse([textHeader, body, buttons], needs, { header: 'Sam', vars: ['A-12', ''], buttons: {} });
  assert.deepEqual(withHeader.members, ['parameters[1].values[1].text', 'parameters[2].values[0].text']);
  assert.deepEqual(Object.keys(withHeader.fields), ['var1', 'button1']);
  assert.match(withHeader.fields.var1!, /parameters\[1\]\.values\[1\]\.text is required/);
  assert.equal(withHeader.form, null);

  // No header value: the Body is parameters[0] now, and the missing header is the group's.
  const noHeader = refuse([textHeader, body, buttons], needs, { header: ' ', vars: ['', 'the counter'], buttons: { 1: 'A-12' } });
  assert.deepEqual(noHeader.members, ['parameters', 'parameters[0].values[0].text']);
  assert.deepEqual(Object.keys(noHeader.fields).sort(), ['var0', 'variables']);
  assert.match(noHeader.fields.variables!, /header of order_ready .* has a variable/);
  assert.equal(noHeader.form, null);
});

test('a count that does not fit (a stale catalogue) is the Variables group’s; a header of the wrong kind is the header input’s', () => {
  const stale = refuse([{ ...textHeader, text: 'Hello' }, body], { header: { format: 'IMAGE' }, bodyVariables: ['1'], buttons: [] }, { header: 'https://cdn.example/a.png', vars: ['A-12'], buttons: {} });
  assert.deepEqual(stale.members, ['parameters[0].values', 'parameters[1].values']);
  assert.deepEqual(stale.fields, {
    header: 'The header of order_ready is fixed text: it takes no values.',
    variables: 'The body of order_ready has 2 variables ({{1}}, {{2}}); 1 value was given.',
  });

  const video: MetaComponent = { type: 'HEADER', format: 'VIDEO' };
  const wrongKind = refuse([video, body], { header: { format: 'IMAGE' }, bodyVariables: ['1', '2'], buttons: [] }, { header: 'https://cdn.example/a.png', vars: ['A-12', 'noon'], buttons: {} });
  assert.deepEqual(wrongKind.members, ['parameters[0].values[0].type']);
  assert.deepEqual(Object.keys(wrongKind.fields), ['header']);
});

test('a media URL the API will not fetch: on the header input (the member fillKnown hands the fetch)', () => {
  const video: MetaComponent = { type: 'HEADER', format: 'VIDEO' };
  const built = templateParameters({ header: { format: 'VIDEO' }, bodyVariables: ['1', '2'], buttons: [] }, { header: ' ftp://example.com/launch.mp4 ', vars: ['Wasl One', 'March 1'], buttons: {} });
  const filled = fillKnown({ name: 'product_launch', language: 'en', components: [video, body] }, built.parameters as ParameterInput[]);
  assert.equal(filled.fetches[0]!.member, 'parameters[0].values[0].videoUrl');
  assert.equal(filled.fetches[0]!.url, 'ftp://example.com/launch.mp4');
  const refusal = asApiError(errors.fileUrlRefused(filled.fetches[0]!.member, 'ftp is not http(s).'));
  const mapped = templateErrors(refusal, built.parts);
  assert.deepEqual(Object.keys(mapped.fields), ['header']);
  assert.match(mapped.fields.header!, /public http\(s\) addresses/);
  assert.equal(mapped.form, null);
});

test('a button the template does not have, or of another kind: on that button’s input', () => {
  const twoLinks: Needs = { header: null, bodyVariables: ['1', '2'], buttons: [{ index: 1, subType: 'url', needsValue: true }, { index: 2, subType: 'url', needsValue: true }] };
  const missing = refuse([body, buttons], twoLinks, { header: '', vars: ['A-12', 'noon'], buttons: { 1: 'A-12', 2: 'x' } });
  assert.deepEqual(missing.members, ['parameters[2].index']);
  assert.deepEqual(Object.keys(missing.fields), ['button2']);
  assert.match(missing.fields.button2!, /there is no button 2/);

  const asQuickReply = refuse([body, buttons], { ...twoLinks, buttons: [{ index: 0, subType: 'url', needsValue: true }, { index: 1, subType: 'url', needsValue: true }] }, { header: '', vars: ['A-12', 'noon'], buttons: { 0: 'x', 1: 'A-12' } });
  assert.deepEqual(asQuickReply.members, ['parameters[1].subtype']);
  assert.deepEqual(Object.keys(asQuickReply.fields), ['button0']);
});

test('what names no input stays the form’s; a refusal that names nothing shows its message', () => {
  const parts = templateParameters(needs, { header: 'Sam', vars: ['a', 'b'], buttons: { 1: 'c' } }).parts;
  assert.deepEqual(parts, [{ kind: 'header' }, { kind: 'body', count: 2 }, { kind: 'button', index: 1 }]);
  assert.equal(inputOf('templateName', parts), 'templateName');
  assert.equal(inputOf('Parameters[1].Values[0].Text', parts), 'var0');
  assert.equal(inputOf('parameters[1]', parts), 'variables');
  assert.equal(inputOf('parameters[0]', parts), 'header');
  assert.equal(inputOf('parameters[1].values[2].text', parts), 'variables', 'a value the body has no input for');
  assert.equal(inputOf('parameters[1].type', parts), null);
  assert.equal(inputOf('parameters[3].values[0].text', parts), null, 'no such parameter was sent');
  assert.equal(inputOf('toNumber', parts), null);

  const mixed = apiError(400, 'Bad Request', {
    error: {
      code: 'Wasl:Validation',
      message: 'The request is invalid.',
      validationErrors: [
        { message: 'toNumber must be a phone number.', members: ['toNumber'] },
        { message: 'Only one Body parameter is allowed (parameters[1] is one).', members: ['parameters[3].type'] },
        { message: 'parameters[2].subType must be url or quick_reply.', members: ['parameters[2].subType'] },
      ],
    },
  });
  assert.deepEqual(templateErrors(mixed, parts), {
    form: 'toNumber must be a phone number. Only one Body parameter is allowed (parameters[1] is one).',
    fields: { button1: 'parameters[2].subType must be url or quick_reply.' },
  });

  const closed = apiError(422, 'Unprocessable Entity', { error: { code: 'Voxa:WhatsApp:ServiceWindowExpired', message: 'The 24-hour window has closed.' } });
  assert.deepEqual(templateErrors(closed, parts), { form: 'The 24-hour window has closed.', fields: {} });
});

test('api.ts: full member paths and prefixes beside the last-part fields other forms use', () => {
  const e = apiError(422, '', {
    error: {
      code: 'Wasl:Template:ParametersMismatch',
      message: 'The parameters do not fit.',
      validationErrors: [
        { message: 'first', members: ['parameters[1].values[0].text'] },
        { message: 'second', members: ['parameters[10].values[0].text', 'parameters[1].values'] },
      ],
      data: { field: 'email' },
    },
  });
  assert.equal(e.member('Parameters[1].Values[0].Text'), 'first');
  assert.equal(e.member('parameters[2]'), null);
  assert.deepEqual(e.under('parameters[1]'), [['parameters[1].values[0].text', 'first'], ['parameters[1].values', 'second']]);
  assert.equal(e.field('text'), 'first', 'the last part keeps its first message');
  assert.equal(e.field('values'), 'second');
  assert.equal(e.field('Email'), 'The parameters do not fit.');
});
