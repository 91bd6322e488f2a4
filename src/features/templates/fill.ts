import { errors, type ValidationIssue } from '../../lib/errors.js';
import type { TemplateComponent, TemplateValue } from '../../providers/whatsapp/port.js';
import { componentOf, fillText, headerExample, variablesOf, type MetaComponent } from './definition.js';

/**
 * Send Template's `Parameters` (hatif-api.md §3.4) → the filled components the WhatsApp port
 * sends, checked against the template's definition when the catalogue knows it. Pure: media
 * URLs the caller gave are returned as `fetches` for the service to fetch and check.
 */

export interface ValueInput {
  type: string;
  text?: string;
  imageUrl?: string;
  documentUrl?: string;
  documentFilename?: string;
  videoUrl?: string;
}
export interface ParameterInput {
  type: string;
  subType?: string;
  index?: string | number;
  values: ValueInput[];
}

type Kind = 'header' | 'body' | 'footer' | 'button';
type SubType = 'url' | 'quick_reply';
type MediaKind = 'image' | 'video' | 'document';

interface Parameter {
  at: number;
  kind: Kind;
  subType?: SubType;
  index?: number;
  values: ValueInput[];
}

/** A media URL the caller gave: fetched (SSRF guard, bytes checked) and its link put in `value`. */
export interface MediaFetch {
  member: string;
  kind: MediaKind;
  url: string;
  filename?: string;
  value: { link: string };
}

export interface Filled {
  components: TemplateComponent[];
  /** What the customer reads: the BODY text with its values (an ad-hoc template: the values, or its name). */
  body: string;
  fetches: MediaFetch[];
}

const KINDS: Record<string, Kind> = { header: 'header', body: 'body', footer: 'footer', buttons: 'button', button: 'button' };
const SUB_TYPES: Record<string, SubType> = { url: 'url', quick_reply: 'quick_reply' };
const VALUE_TYPES = ['text', 'image', 'document', 'video'] as const;
const URL_FIELD = { image: 'imageUrl', video: 'videoUrl', document: 'documentUrl' } as const;

/**
 * The parameters' forms (any case for Type and SubType; Index a digit string or an integer), or a
 * 400 naming each one that is not a form §3.4 has.
 */
export function readParameters(input: ParameterInput[]): Parameter[] {
  const issues: ValidationIssue[] = [];
  const out = input.map((p, at) => {
    const member = `parameters[${at}]`;
    const kind = KINDS[p.type.trim().toLowerCase()];
    if (!kind) issues.push({ message: `${member}.type must be Header, Body, Footer or Buttons.`, members: [`${member}.type`] });
    const subType = p.subType === undefined ? undefined : SUB_TYPES[p.subType.trim().toLowerCase()];
    if (p.subType !== undefined && !subType) issues.push({ message: `${member}.subType must be url or quick_reply.`, members: [`${member}.subType`] });
    const index = p.index === undefined ? undefined : /^\s*\d{1,2}\s*$/.test(String(p.index)) ? Number(p.index) : NaN;
    if (Number.isNaN(index)) issues.push({ message: `${member}.index must be a button's position: "0", "1", "2" …`, members: [`${member}.index`] });
    p.values.forEach((v, j) => {
      if (!(VALUE_TYPES as readonly string[]).includes(v.type.trim().toLowerCase())) {
        issues.push({ message: `${member}.values[${j}].type must be text, image, document or video.`, members: [`${member}.values[${j}].type`] });
      }
    });
    return { at, kind: kind ?? 'body', subType, index, values: p.values };
  });
  if (issues.length) throw errors.invalid(issues);
  return out;
}

/** Collects what does not fit, then refuses with all of it at once (422 naming each member). */
function collector(name: string, language: string) {
  const issues: ValidationIssue[] = [];
  const fetches: MediaFetch[] = [];
  const issue = (member: string, message: string) => void issues.push({ message, members: [member] });

  /** One value as the port sends it; a media URL becomes a fetch. */
  function value(p: Parameter, j: number, want?: 'text' | MediaKind): TemplateValue | undefined {
    const v = p.values[j]!;
    const member = `parameters[${p.at}].values[${j}]`;
    const type = v.type.trim().toLowerCase() as (typeof VALUE_TYPES)[number];
    if (want && type !== want) return issue(`${member}.type`, `${member} must be of type ${want}${want === 'text' ? '' : ` with ${URL_FIELD[want]}`}, not ${type}.`);
    if (type === 'text') {
      if (!v.text) return issue(`${member}.text`, `${member}.text is required for a text value.`);
      return { type: 'text', text: v.text };
    }
    const field = URL_FIELD[type];
    const url = v[field];
    if (!url) return issue(`${member}.${field}`, `${member}.${field} is required for a ${type} value.`);
    const media = type === 'document' ? { type, link: url, ...(v.documentFilename && { filename: v.documentFilename }) } : { type, link: url };
    fetches.push({ member: `${member}.${field}`, kind: type, url, ...(type === 'document' && v.documentFilename && { filename: v.documentFilename }), value: media });
    return media;
  }

  const texts = (p: Parameter | undefined) => (p?.values ?? []).map((_, j) => value(p!, j, 'text')).map((v) => (v?.type === 'text' ? v.text : ''));

  function only(params: Parameter[], kind: Kind, label: string): Parameter | undefined {
    const all = params.filter((p) => p.kind === kind);
    for (const extra of all.slice(1)) issue(`parameters[${extra.at}].type`, `Only one ${label} parameter is allowed (parameters[${all[0]!.at}] is one).`);
    return all[0];
  }

  function footers(params: Parameter[]) {
    for (const p of params.filter((x) => x.kind === 'footer' && x.values.length)) {
      issue(`parameters[${p.at}].values`, 'A footer is fixed text in the template: it takes no values.');
    }
  }

  /** Button parameters by index, each with its SubType and Index; a second one for an index is refused. */
  function buttonParams(params: Parameter[]) {
    const byIndex = new Map<number, Parameter>();
    for (const p of params.filter((x) => x.kind === 'button')) {
      if (p.index === undefined) issue(`parameters[${p.at}].index`, `parameters[${p.at}].index (the button's position, "0", "1" …) is required for Buttons.`);
      if (!p.subType) issue(`parameters[${p.at}].subType`, `parameters[${p.at}].subType (url or quick_reply) is required for Buttons.`);
      if (p.index === undefined || !p.subType) continue;
      if (byIndex.has(p.index)) issue(`parameters[${p.at}].index`, `Button ${p.index} is given twice (parameters[${byIndex.get(p.index)!.at}] and parameters[${p.at}]).`);
      else byIndex.set(p.index, p);
    }
    return byIndex;
  }

  function done(components: TemplateComponent[], body: string): Filled {
    if (issues.length) throw errors.templateParametersMismatch(name, language, issues);
    return { components, body, fetches };
  }

  return { issue, value, texts, only, footers, buttonParams, done };
}

/**
 * A template the catalogue does not know, sent as given (a sandbox channel's ad-hoc template, a
 * Cloud API channel that never synced): only the forms are checked, Meta or the sandbox decides.
 */
export function fillAdHoc(name: string, language: string, input: ParameterInput[]): Filled {
  const params = readParameters(input);
  const c = collector(name, language);
  const components: TemplateComponent[] = [];
  const header = c.only(params, 'header', 'Header');
  if (header?.values.length) {
    for (const extra of header.values.slice(1).keys()) c.issue(`parameters[${header.at}].values[${extra + 1}]`, 'A header takes one value.');
    const v = c.value(header, 0);
    if (v) components.push({ type: 'header', values: [v] });
  }
  const body = c.only(params, 'body', 'Body');
  const texts = c.texts(body);
  if (texts.length) components.push({ type: 'body', values: texts.map((text) => ({ type: 'text', text })) });
  c.footers(params);
  for (const [index, p] of [...c.buttonParams(params)].sort((a, b) => a[0] - b[0])) {
    const values = c.texts(p);
    if (values.length > 1) c.issue(`parameters[${p.at}].values`, 'A button takes one value (a URL suffix or a quick-reply payload).');
    if (values.length) components.push({ type: 'button', subType: p.subType!, index, values: values.map((text) => ({ type: 'text', text })) });
  }
  return c.done(components, texts.length ? texts.join(' · ') : name);
}

/**
 * A template the catalogue knows: every value must fit its definition — the header's format, the
 * number of body variables, each dynamic button's suffix, and nothing for what has no variable.
 * An omitted media header is filled from the template's example (`header_handle[0]`).
 */
export function fillKnown(template: { name: string; language: string; components: readonly MetaComponent[] }, input: ParameterInput[]): Filled {
  const { name, language } = template;
  const params = readParameters(input);
  const c = collector(name, language);
  const components: TemplateComponent[] = [];

  const headerDef = componentOf(template.components, 'HEADER');
  const header = c.only(params, 'header', 'Header');
  const given = header?.values.length ? header : undefined;
  const format = String(headerDef?.format ?? '').toUpperCase();
  const headerMember = given ? `parameters[${given.at}].values` : 'parameters';
  if (!headerDef) {
    if (given) c.issue(headerMember, `Template ${name} has no header: leave out the Header parameter.`);
  } else if (format === 'TEXT') {
    const wanted = variablesOf(headerDef.text).length;
    if (!wanted && given) c.issue(headerMember, `The header of ${name} is fixed text: it takes no values.`);
    if (wanted && !given) c.issue('parameters', `The header of ${name} ("${headerDef.text}") has a variable: give a Header parameter with one text value.`);
    if (wanted && given) {
      if (given.values.length !== wanted) c.issue(headerMember, `The header of ${name} has ${wanted} variable; ${given.values.length} values were given.`);
      const text = c.texts({ ...given, values: given.values.slice(0, 1) });
      if (text[0]) components.push({ type: 'header', values: [{ type: 'text', text: text[0] }] });
    }
  } else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
    const kind = format.toLowerCase() as MediaKind;
    if (given) {
      if (given.values.length > 1) c.issue(headerMember, `The header of ${name} takes one ${kind}; ${given.values.length} values were given.`);
      const v = c.value(given, 0, kind);
      if (v) components.push({ type: 'header', values: [v] });
    } else {
      const example = headerExample(headerDef);
      if (example) components.push({ type: 'header', values: [{ type: kind, link: example }] });
      else c.issue('parameters', `The header of ${name} is ${kind === 'image' ? 'an' : 'a'} ${kind} and the template has no example to fall back on: give a Header parameter with a ${kind} value (${URL_FIELD[kind]}).`);
    }
  } else {
    c.issue(given ? headerMember : 'parameters', `The header of ${name} is ${format || 'of no known format'}, which Send Template's parameters cannot fill.`);
  }

  const bodyDef = componentOf(template.components, 'BODY');
  const body = c.only(params, 'body', 'Body');
  const variables = variablesOf(bodyDef?.text);
  const count = body?.values.length ?? 0;
  if (count !== variables.length) {
    const shown = variables.map((v) => `{{${v}}}`).join(', ');
    c.issue(body ? `parameters[${body.at}].values` : 'parameters', `The body of ${name} has ${variables.length} variable${variables.length === 1 ? '' : 's'}${shown ? ` (${shown})` : ''}; ${count} value${count === 1 ? ' was' : 's were'} given.`);
  }
  const texts = c.texts(body);
  if (texts.length) components.push({ type: 'body', values: texts.map((text) => ({ type: 'text', text })) });
  c.footers(params);

  const buttons = componentOf(template.components, 'BUTTONS')?.buttons ?? [];
  const byIndex = c.buttonParams(params);
  for (const [index, p] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    const b = buttons[index];
    const type = String(b?.type ?? '').toUpperCase();
    const wants = type === 'URL' ? 'url' : type === 'QUICK_REPLY' ? 'quick_reply' : undefined;
    if (!b) {
      c.issue(`parameters[${p.at}].index`, buttons.length ? `Template ${name} has ${buttons.length} button${buttons.length === 1 ? '' : 's'} (index 0 to ${buttons.length - 1}); there is no button ${index}.` : `Template ${name} has no buttons.`);
      continue;
    }
    if (!wants) {
      c.issue(`parameters[${p.at}].index`, `Button ${index} of ${name} is a ${type} button: it takes no value.`);
      continue;
    }
    if (p.subType !== wants) {
      c.issue(`parameters[${p.at}].subType`, `Button ${index} of ${name} is a ${type} button: its SubType is ${wants}, not ${p.subType}.`);
      continue;
    }
    const dynamic = wants === 'url' && variablesOf(b.url).length > 0;
    if (wants === 'url' && !dynamic && p.values.length) {
      c.issue(`parameters[${p.at}].values`, `The URL of button ${index} of ${name} (${b.url}) is fixed: it takes no value.`);
      continue;
    }
    if (p.values.length > 1 || (dynamic && p.values.length !== 1)) {
      c.issue(`parameters[${p.at}].values`, dynamic ? `Button ${index} of ${name} takes one value, the suffix of ${b.url}.` : `Button ${index} of ${name} takes one value, the payload sent back when it is tapped.`);
      continue;
    }
    const values = c.texts(p);
    if (values.length) components.push({ type: 'button', subType: wants, index, values: values.map((text) => ({ type: 'text', text })) });
  }
  buttons.forEach((b, index) => {
    const type = String(b?.type ?? '').toUpperCase();
    if (type === 'URL' && variablesOf(b.url).length && !byIndex.has(index)) {
      c.issue('parameters', `Button ${index} of ${name} (${b.url}) needs its suffix: a Buttons parameter with SubType url, Index "${index}" and one text value.`);
    }
    if (type === 'COPY_CODE') c.issue('parameters', `Button ${index} of ${name} is a COPY_CODE button, whose code Send Template's parameters cannot give.`);
  });

  const rendered = bodyDef?.text ? fillText(bodyDef.text, texts) : name;
  return c.done(components, rendered);
}
