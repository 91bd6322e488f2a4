import type { ValidationIssue } from '../../lib/errors.js';

/**
 * Meta's template definitions (the `components` of `message_templates`): reading them — which
 * variables a text has, which header, which buttons — and checking one an operator adds. Pure.
 */

export interface MetaButton {
  type: string;
  text?: string;
  url?: string;
  phone_number?: string;
  example?: unknown;
}

export interface MetaComponent {
  type: string;
  format?: string;
  text?: string;
  example?: unknown;
  buttons?: MetaButton[];
}

const VARIABLE = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/**
 * The variables of a text in the order they fill: `{{1}}`, `{{2}}` … by number; Meta's named
 * parameters (`{{first_name}}`, on synced templates) in the order they first appear.
 */
export function variablesOf(text: string | undefined): string[] {
  const found = [...new Set([...(text ?? '').matchAll(VARIABLE)].map((m) => m[1]!))];
  return found.every((v) => /^\d+$/.test(v)) ? found.sort((a, b) => Number(a) - Number(b)) : found;
}

/** The text with each variable replaced by its value (positional, as `variablesOf` orders them). */
export function fillText(text: string, values: string[]): string {
  const order = variablesOf(text);
  return text.replace(VARIABLE, (whole, name: string) => {
    const i = order.indexOf(name);
    return i >= 0 && values[i] !== undefined ? values[i]! : whole;
  });
}

/** One component of a definition by type (HEADER, BODY, FOOTER, BUTTONS), case-insensitively. */
export const componentOf = (components: readonly MetaComponent[], type: string) => components.find((c) => String(c?.type).toUpperCase() === type);

/** The media example Meta keeps for a media header (`example.header_handle[0]`), if any. */
export function headerExample(header: MetaComponent | undefined): string | undefined {
  const handle = (header?.example as { header_handle?: unknown } | undefined)?.header_handle;
  return Array.isArray(handle) && typeof handle[0] === 'string' && handle[0] ? handle[0] : undefined;
}

const LIMITS = { HEADER: 60, BODY: 1024, FOOTER: 60 } as const;
const MAX_BUTTONS = 10;

/**
 * What is wrong with a definition an operator adds (each issue naming its member, e.g.
 * `components[1].text`): one BODY with text (≤ 1,024 characters), at most one HEADER (a TEXT
 * header with its text, ≤ 60), FOOTER and BUTTONS; buttons with what their type needs; variables
 * numbered `{{1}}` … `{{n}}` without gaps, none in a footer, at most one in a header or a URL (at
 * its end). The schema has already checked the types and enums.
 */
export function definitionIssues(components: readonly MetaComponent[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const issue = (member: string, message: string) => issues.push({ message, members: [member] });
  const seen = new Map<string, number>();

  components.forEach((c, i) => {
    const at = `components[${i}]`;
    const type = c.type.toUpperCase();
    if (seen.has(type)) issue(`${at}.type`, `${at}: a template has at most one ${type} (components[${seen.get(type)}] is one).`);
    seen.set(type, i);
    if (type === 'HEADER') {
      if (!c.format) issue(`${at}.format`, `${at}.format is required on a HEADER: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.`);
      else if (c.format.toUpperCase() === 'TEXT') textIssues(c.text, `${at}.text`, LIMITS.HEADER, 1, issue);
      else if (c.text !== undefined) issue(`${at}.text`, `${at}: a ${c.format} header has no text.`);
      const handle = (c.example as { header_handle?: unknown } | undefined)?.header_handle;
      if (handle !== undefined && !(Array.isArray(handle) && handle.every((h) => typeof h === 'string' && /^https?:\/\/\S+$/.test(h)))) {
        issue(`${at}.example.header_handle`, `${at}.example.header_handle must be a list of media URLs (the first is sent when a send omits the header).`);
      }
    }
    if (type === 'BODY') textIssues(c.text, `${at}.text`, LIMITS.BODY, Infinity, issue);
    if (type === 'FOOTER') textIssues(c.text, `${at}.text`, LIMITS.FOOTER, 0, issue);
    if (type === 'BUTTONS') buttonIssues(c.buttons, at, issue);
    if (type !== 'BUTTONS' && c.buttons !== undefined) issue(`${at}.buttons`, `${at}: only a BUTTONS component has buttons.`);
  });
  if (!seen.has('BODY')) issue('components', 'A template needs one BODY component with its text.');
  return issues;
}

type Issue = (member: string, message: string) => void;

function textIssues(text: string | undefined, member: string, limit: number, maxVariables: number, issue: Issue) {
  if (!text?.trim()) return issue(member, `${member} is required.`);
  if (text.length > limit) issue(member, `${member} must be at most ${limit} characters long.`);
  numberingIssues(text, member, maxVariables, issue);
}

/** Variables numbered 1…n without gaps (and no more than `max`); a `{{` that is not `{{n}}` is refused. */
function numberingIssues(text: string, member: string, max: number, issue: Issue) {
  const names = variablesOf(text);
  if (names.some((n) => !/^\d+$/.test(n)) || /\{\{(?!\s*\d+\s*\}\})/.test(text)) {
    return issue(member, `${member}: variables are numbered, {{1}}, {{2}} …`);
  }
  if (names.length > max) return issue(member, max === 0 ? `${member} takes no variables.` : `${member} takes at most ${max} variable${max === 1 ? '' : 's'}.`);
  const gap = names.findIndex((n, i) => Number(n) !== i + 1);
  if (gap >= 0) issue(member, `${member}: variables must be numbered {{1}} to {{${names.length}}} without gaps; {{${gap + 1}}} is missing.`);
}

const BUTTON_NEEDS: Record<string, keyof MetaButton | null> = { QUICK_REPLY: 'text', URL: 'url', PHONE_NUMBER: 'phone_number', COPY_CODE: null };

function buttonIssues(buttons: MetaButton[] | undefined, at: string, issue: Issue) {
  if (!buttons?.length) return issue(`${at}.buttons`, `${at}.buttons must list at least one button.`);
  if (buttons.length > MAX_BUTTONS) issue(`${at}.buttons`, `${at}.buttons must have at most ${MAX_BUTTONS} items.`);
  buttons.forEach((b, j) => {
    const member = `${at}.buttons[${j}]`;
    const type = b.type.toUpperCase();
    if (type !== 'COPY_CODE' && !b.text?.trim()) issue(`${member}.text`, `${member}.text (the button's label) is required.`);
    const needs = BUTTON_NEEDS[type];
    if (needs && needs !== 'text' && !b[needs]) issue(`${member}.${needs}`, `${member}.${needs} is required on a ${type} button.`);
    if (type === 'URL' && b.url) {
      if (!/^https?:\/\/\S+$/.test(b.url.replace(VARIABLE, 'x'))) issue(`${member}.url`, `${member}.url must be an http(s) URL.`);
      numberingIssues(b.url, `${member}.url`, 1, issue);
      if (variablesOf(b.url).length && !/\{\{\s*1\s*\}\}$/.test(b.url)) issue(`${member}.url`, `${member}.url: the variable {{1}} can only end the URL (its dynamic suffix).`);
    }
    if (b.text && /\{\{/.test(b.text)) issue(`${member}.text`, `${member}.text takes no variables.`);
  });
}

/** A template's definition as a sender sees it: what each part shows and which values a send must give. */
export function describeDefinition(components: readonly MetaComponent[]) {
  const header = componentOf(components, 'HEADER');
  const format = String(header?.format ?? '').toUpperCase();
  const media = format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT';
  const bodyText = componentOf(components, 'BODY')?.text ?? '';
  const bodyVariables = variablesOf(bodyText);
  const buttons = (componentOf(components, 'BUTTONS')?.buttons ?? []).map((b, index) => {
    const type = String(b?.type ?? '').toUpperCase();
    const subType = type === 'URL' && variablesOf(b.url).length ? ('url' as const) : type === 'QUICK_REPLY' ? ('quick_reply' as const) : null;
    return { index, type, text: b.text ?? null, url: b.url ?? null, subType, needsValue: subType === 'url' };
  });
  return {
    header: header
      ? {
          format,
          text: header.text ?? null,
          hasExample: media && headerExample(header) !== undefined,
          needsValue: format === 'TEXT' ? variablesOf(header.text).length > 0 : media && headerExample(header) === undefined,
        }
      : null,
    body: bodyText,
    bodyVariables,
    bodyValues: bodyVariables.length,
    footer: componentOf(components, 'FOOTER')?.text ?? null,
    buttons,
    // Send Template's parameters cannot fill a LOCATION header nor give a COPY_CODE button's code (fill.ts).
    sendable: (!header || format === 'TEXT' || media) && !buttons.some((b) => b.type === 'COPY_CODE'),
  };
}
