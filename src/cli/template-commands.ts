import { readFileSync } from 'node:fs';
import { listAll, seg, str, type Command, type OptionSpec, type Values } from './command.js';
import { usageError } from './errors.js';

/**
 * `wasl template …`: a channel's WhatsApp template catalogue — add a definition (Meta's
 * `message_templates` shape, from a file or inline JSON), list it, sync it from the Graph API.
 * The definition is checked by the API, which answers 400 naming what is wrong.
 */
const channelOption: OptionSpec = { type: 'string', value: 'ID', required: true, help: 'the WhatsApp channel' };

/** The definition from `--file` or `--json` (one of them), parsed here so a typo is a usage error, not a 400. */
function definition(values: Values, key: string): unknown {
  const file = str(values, 'file');
  const inline = str(values, 'json');
  if ((file === undefined) === (inline === undefined)) throw usageError(`${key} needs the definition: --file PATH or --json '{…}' (one of them).`, key);
  let text = inline ?? '';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, key);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`the definition is not JSON: ${(err as Error).message}.`, key);
  }
}

export const templateCommands: readonly Command[] = [
  {
    group: 'template',
    verb: 'add',
    summary: "Add a template to a channel's catalogue (Meta's definition: {name, language, category, components, status?}); the same name and language replaces it.",
    options: {
      channel: channelOption,
      file: { type: 'string', value: 'PATH', help: 'a JSON file with the definition' },
      json: { type: 'string', value: 'JSON', help: 'the definition inline' },
      status: { type: 'string', value: 'S', help: 'APPROVED (default), PENDING, REJECTED, PAUSED or DISABLED; overrides the definition' },
    },
    run: (api, { values }) => {
      const body = definition(values, 'template add');
      const status = str(values, 'status');
      const withStatus = status !== undefined && body && typeof body === 'object' && !Array.isArray(body) ? { ...body, status } : body;
      return api.request('POST', `/admin/v1/channels/${seg(str(values, 'channel') ?? '')}/templates`, withStatus);
    },
  },
  {
    group: 'template',
    verb: 'list',
    summary: "List a channel's template catalogue (a sandbox channel's starts with the built-in templates).",
    options: { channel: channelOption },
    columns: ['name', 'language', 'status', 'category', 'source', 'lastModificationTime', 'id'],
    run: (api, { values }) => listAll(api, `/admin/v1/channels/${seg(str(values, 'channel') ?? '')}/templates`),
  },
  {
    group: 'template',
    verb: 'sync',
    summary: "Fetch a Cloud API channel's templates from the Graph API now (a sandbox channel: restore the built-in ones).",
    options: { channel: channelOption },
    run: (api, { values }) => api.request('POST', `/admin/v1/channels/${seg(str(values, 'channel') ?? '')}/templates/sync`),
  },
];
