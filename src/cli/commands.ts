import { changes, compact, enumArg, listAll, nullable, seg, str, workspaceOption, type Command, type OptionSpec, type Values } from './command.js';
import { webhookCommands } from './webhook-commands.js';
import { templateCommands } from './template-commands.js';
import { peopleCommands } from './people-commands.js';

function channelOptions(forCreate: boolean): Record<string, OptionSpec> {
  return {
    name: { type: 'string', value: 'N', required: forCreate, help: 'channel name' },
    type: { type: 'string', value: 'TYPE', required: forCreate, help: '1|2|3 or PhoneNumber|WhatsApp|PhoneNumberAndWhatsapp' },
    phone: { type: 'string', value: 'P', help: 'business phone number (E.164); generated for sandbox channels' },
    'whatsapp-provider': { type: 'string', value: 'sandbox|cloud', help: 'WhatsApp adapter (needed with any --phone-number-id … --graph-base-url)' },
    'phone-number-id': { type: 'string', value: 'X', help: 'Cloud API phone number id' },
    'business-account-id': { type: 'string', value: 'W', help: 'WhatsApp Business Account id (template sync)' },
    'access-token': { type: 'string', value: 'T', help: 'Cloud API access token (never shown back)' },
    'app-secret': { type: 'string', value: 'S', help: 'Meta app secret, checks X-Hub-Signature-256 (never shown back)' },
    'verify-token': { type: 'string', value: 'V', help: 'webhook handshake token (never shown back)' },
    'graph-base-url': { type: 'string', value: 'U', help: 'Graph API base URL' },
    'whatsapp-webhook-url': { type: 'string', value: 'U', help: 'where WhatsApp events are posted ("" clears)' },
    'post-call-webhook-url': { type: 'string', value: 'U', help: 'where post-call events are posted ("" clears)' },
    'webhook-secret': { type: 'string', value: 'S', help: 'HMAC key for X-Voxa-Signature, 16+ chars ("" clears)' },
  };
}

function channelBody(v: Values): Record<string, unknown> {
  const whatsApp = compact({
    provider: str(v, 'whatsapp-provider'),
    phoneNumberId: str(v, 'phone-number-id'),
    businessAccountId: str(v, 'business-account-id'),
    accessToken: str(v, 'access-token'),
    appSecret: str(v, 'app-secret'),
    verifyToken: str(v, 'verify-token'),
    graphBaseUrl: str(v, 'graph-base-url'),
  });
  return compact({
    name: str(v, 'name'),
    type: enumArg(str(v, 'type')),
    phoneNumber: str(v, 'phone'),
    whatsApp: Object.keys(whatsApp).length ? whatsApp : undefined,
    whatsAppWebhookUrl: nullable(str(v, 'whatsapp-webhook-url')),
    postCallWebhookUrl: nullable(str(v, 'post-call-webhook-url')),
    webhookSecret: nullable(str(v, 'webhook-secret')),
  });
}

export const commands: readonly Command[] = [
  {
    group: 'workspace',
    verb: 'create',
    summary: 'Create a workspace.',
    options: {
      name: { type: 'string', value: 'N', required: true, help: 'workspace name' },
      'default-region': { type: 'string', value: 'SA', help: 'ISO 3166 region for national phone numbers (default SA)' },
    },
    run: (api, { values }) => api.request('POST', '/admin/v1/workspaces', compact({ name: str(values, 'name'), defaultRegion: str(values, 'default-region') })),
  },
  {
    group: 'workspace',
    verb: 'list',
    summary: 'List every workspace.',
    options: {},
    run: (api) => listAll(api, '/admin/v1/workspaces'),
  },
  {
    group: 'workspace',
    verb: 'update',
    summary: "Change a workspace's name or events webhook; options left out stay as they are.",
    positional: 'ID',
    options: {
      name: { type: 'string', value: 'N', help: 'workspace name' },
      'events-webhook-url': { type: 'string', value: 'U', help: 'receives every event of the workspace as {eventType, data} ("" clears)' },
      'webhook-secret': { type: 'string', value: 'S', help: 'HMAC key for events to that URL, 16+ chars ("" clears; never shown back)' },
    },
    run: (api, { id, values }) => {
      const body = compact({
        name: str(values, 'name'),
        eventsWebhookUrl: nullable(str(values, 'events-webhook-url')),
        webhookSecret: nullable(str(values, 'webhook-secret')),
      });
      return api.request('PATCH', `/admin/v1/workspaces/${seg(id)}`, changes(body, 'workspace update'));
    },
  },
  {
    group: 'service-account',
    verb: 'create',
    summary: 'Create a service account; its client secret is shown only now.',
    options: { workspace: workspaceOption, name: { type: 'string', value: 'N', required: true, help: 'service account name' } },
    run: (api, { values }) => api.request('POST', `/admin/v1/workspaces/${seg(str(values, 'workspace') ?? '')}/service-accounts`, { name: str(values, 'name') }),
  },
  {
    group: 'service-account',
    verb: 'rotate',
    summary: 'Issue a new client secret (shown only now); tokens of the old one stop working.',
    positional: 'ID',
    options: {},
    run: (api, { id }) => api.request('POST', `/admin/v1/service-accounts/${seg(id)}/rotate-secret`),
  },
  {
    group: 'service-account',
    verb: 'disable',
    summary: 'Disable a service account; its tokens stop working.',
    positional: 'ID',
    options: {},
    // The API answers 204 with no body; say what happened so the output is still JSON.
    run: async (api, { id }) => {
      await api.request('POST', `/admin/v1/service-accounts/${seg(id)}/disable`);
      return { id, disabled: true };
    },
  },
  {
    group: 'user',
    verb: 'add',
    summary: 'Add a person or an AI agent to a workspace.',
    options: {
      workspace: workspaceOption,
      name: { type: 'string', value: 'N', required: true, help: 'display name' },
      email: { type: 'string', value: 'E', help: 'email address' },
      role: { type: 'string', value: 'ROLE', help: 'Owner|Member or 1|2 (default Member)' },
      'ai-agent': { type: 'boolean', help: 'the user is an AI agent' },
      phone: { type: 'string', value: 'P', help: 'phone number' },
    },
    run: (api, { values }) =>
      api.request(
        'POST',
        `/admin/v1/workspaces/${seg(str(values, 'workspace') ?? '')}/users`,
        compact({
          name: str(values, 'name'),
          email: str(values, 'email'),
          role: enumArg(str(values, 'role')),
          isAiAgent: values['ai-agent'] === true ? true : undefined,
          phoneNumber: str(values, 'phone'),
        }),
      ),
  },
  ...peopleCommands,
  {
    group: 'channel',
    verb: 'create',
    summary: 'Create a channel (sandbox adapters unless --whatsapp-provider cloud).',
    options: { workspace: workspaceOption, ...channelOptions(true) },
    run: (api, { values }) => api.request('POST', `/admin/v1/workspaces/${seg(str(values, 'workspace') ?? '')}/channels`, channelBody(values)),
  },
  {
    group: 'channel',
    verb: 'list',
    summary: "List a workspace's channels.",
    options: { workspace: workspaceOption },
    columns: ['id', 'name', 'type', 'phoneNumber.number', 'whatsApp.provider', 'whatsAppWebhookUrl', 'postCallWebhookUrl', 'hasWebhookSecret'],
    run: (api, { values }) => listAll(api, `/admin/v1/workspaces/${seg(str(values, 'workspace') ?? '')}/channels`),
  },
  {
    group: 'channel',
    verb: 'update',
    summary: "Change a channel's settings; options left out stay as they are.",
    positional: 'ID',
    options: channelOptions(false),
    run: (api, { id, values }) => api.request('PATCH', `/admin/v1/channels/${seg(id)}`, changes(channelBody(values), 'channel update')),
  },
  {
    group: 'sandbox',
    verb: 'inbound',
    summary: 'A sandbox channel receives a WhatsApp message from a customer (processed as if WhatsApp sent it).',
    positional: 'CHANNEL_ID',
    options: {
      from: { type: 'string', value: 'NUMBER', required: true, help: "the customer's number with country code" },
      text: { type: 'string', value: 'T', help: 'the text (or a caption, or a location name)' },
      name: { type: 'string', value: 'N', help: "the customer's profile name" },
      type: { type: 'string', value: 'TYPE', help: 'text (default), image, video, audio, document, sticker, location' },
      'media-url': { type: 'string', value: 'U', help: 'the media of an image, video, audio, document or sticker' },
      latitude: { type: 'string', value: 'LAT', help: 'for a location' },
      longitude: { type: 'string', value: 'LON', help: 'for a location' },
      'reply-to': { type: 'string', value: 'WAMID', help: 'the message it answers' },
    },
    run: (api, { id, values }) => {
      const num = (name: string) => (str(values, name) === undefined ? undefined : Number(str(values, name)));
      return api.request(
        'POST',
        `/admin/v1/sandbox/channels/${seg(id)}/inbound`,
        compact({
          from: str(values, 'from'),
          text: str(values, 'text'),
          name: str(values, 'name'),
          type: str(values, 'type'),
          mediaUrl: str(values, 'media-url'),
          latitude: num('latitude'),
          longitude: num('longitude'),
          replyTo: str(values, 'reply-to'),
        }),
      );
    },
  },
  {
    group: 'sandbox',
    verb: 'call',
    summary: "A sandbox line receives a phone call (rings 3 s, then answered for --duration seconds, or missed with --missed).",
    positional: 'CHANNEL_ID',
    options: {
      from: { type: 'string', value: 'NUMBER', required: true, help: "the caller's number with country code" },
      duration: { type: 'string', value: 'SECONDS', help: 'how long the answered call lasts (default 30)' },
      missed: { type: 'boolean', help: 'nobody answers' },
    },
    run: (api, { id, values }) =>
      api.request(
        'POST',
        `/admin/v1/sandbox/channels/${seg(id)}/inbound-call`,
        compact({ from: str(values, 'from'), answered: values.missed ? false : undefined, durationSeconds: str(values, 'duration') === undefined ? undefined : Number(str(values, 'duration')) }),
      ),
  },
  ...webhookCommands,
  ...templateCommands,
];
