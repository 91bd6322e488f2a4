import type { ApiError } from './api.js';

/**
 * Send Template's refusals → the template picker's inputs. The API names a bad value by its place
 * in the request (`parameters[1].values[0].text`, `parameters[0].values[0].videoUrl`,
 * `parameters[2].index`; src/features/templates/fill.ts), so the picker keeps, for each
 * `parameters[k]` it sent, the part that built it (`templateParameters`), and maps each member back to the input the
 * person typed it in. Pure, so it is tested without a browser.
 */

/** What built `parameters[k]`: the header value, the body's variables (how many), a button's value (its index). */
export type Part = { kind: 'header' } | { kind: 'body'; count: number } | { kind: 'button'; index: number };

/**
 * Messages by the picker's inputs: `templateName`, `language`, `header` (text or media), `var<j>`
 * (Variable j+1), `button<i>` and `variables` (the group); what fits none is the form's.
 */
export interface TemplateErrors {
  form: string | null;
  fields: Record<string, string>;
}

/** What the picker knows of a template (`GET …/templates`) to build Send Template's parameters. */
export interface Needs {
  header: { format: string } | null;
  bodyVariables: readonly string[];
  buttons: readonly { index: number; subType: 'url' | 'quick_reply' | null; needsValue: boolean }[];
}
/** What the person typed: the header (text or media URL), the variables in order, buttons' values by index. */
export interface Values {
  header: string;
  vars: readonly string[];
  buttons: Readonly<Record<number, string>>;
}

/** The request's `parameters` (hatif-api.md §3.4), and what built each one. */
export function templateParameters(template: Needs, values: Values): { parameters: object[]; parts: Part[] } {
  const parameters: object[] = [];
  const parts: Part[] = [];
  const format = template.header?.format ?? '';
  if (values.header.trim()) {
    const kind = format.toLowerCase();
    parameters.push({ type: 'Header', values: [format === 'TEXT' ? { type: 'text', text: values.header } : { type: kind, [`${kind}Url`]: values.header.trim() }] });
    parts.push({ kind: 'header' });
  }
  if (template.bodyVariables.length) {
    parameters.push({ type: 'Body', values: template.bodyVariables.map((_, i) => ({ type: 'text', text: values.vars[i] ?? '' })) });
    parts.push({ kind: 'body', count: template.bodyVariables.length });
  }
  for (const b of template.buttons.filter((x) => x.needsValue)) {
    parameters.push({ type: 'Buttons', subType: b.subType, index: String(b.index), values: [{ type: 'text', text: values.buttons[b.index] ?? '' }] });
    parts.push({ kind: 'button', index: b.index });
  }
  return { parameters, parts };
}

const PARAMETER = /^parameters\[(\d+)\](.*)$/;
const VALUE = /^\.values\[(\d+)\]/;

/** The input a member names (lower-cased or not), or null when it is no input's. */
export function inputOf(member: string, parts: readonly Part[]): string | null {
  const path = member.toLowerCase();
  if (path === 'templatename') return 'templateName';
  if (path === 'language') return 'language';
  // The whole list: a value the template needs that was not sent (a header, a button's suffix).
  if (path === 'parameters') return 'variables';
  const at = PARAMETER.exec(path);
  const part = at ? parts[Number(at[1])] : undefined;
  if (!at || !part) return null;
  const rest = at[2]!;
  if (part.kind === 'button') return `button${part.index}`;
  const whole = rest === '' || rest === '.values';
  if (part.kind === 'header') return whole || VALUE.test(rest) ? 'header' : null;
  if (whole) return 'variables';
  const j = VALUE.exec(rest)?.[1];
  if (j === undefined) return null;
  return Number(j) < part.count ? `var${j}` : 'variables';
}

/**
 * The refusal by input (the first message for each); messages no input takes are the form's,
 * as is the error's own message when nothing was named at all (a closed window, a stale view).
 */
export function templateErrors(error: ApiError, parts: readonly Part[]): TemplateErrors {
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const [member, message] of Object.entries(error.members)) {
    const input = inputOf(member, parts);
    if (input) fields[input] ??= message;
    else if (!rest.includes(message)) rest.push(message);
  }
  const form = rest.length ? rest.join(' ') : Object.keys(fields).length ? null : error.message || null;
  return { form, fields };
}
