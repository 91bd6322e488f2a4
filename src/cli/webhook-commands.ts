import { compact, listAll, positiveInt, seg, str, workspaceOption, type Command } from './command.js';
import { formatTable, formatWithList } from './format.js';

/**
 * `wasl webhook …`: what Wasl sent to receivers, and the operator's levers — replay one delivery,
 * recover every failure since a time, see which URLs are disabled and why, enable one, send a test.
 * Values (status, times, ids) are checked by the API, which answers 400 with the reason.
 */
const DEFAULT_LIMIT = 100;

export const webhookCommands: readonly Command[] = [
  {
    group: 'webhook',
    verb: 'deliveries',
    summary: `List webhook deliveries, newest first (the first ${DEFAULT_LIMIT} unless --limit).`,
    options: {
      workspace: { type: 'string', value: 'ID', help: 'only this workspace' },
      channel: { type: 'string', value: 'ID', help: 'only this channel' },
      status: { type: 'string', value: 'S', help: 'pending|delivered|failed|skipped' },
      'event-type': { type: 'string', value: 'T', help: 'e.g. WhatsAppMessage, Call, Test' },
      from: { type: 'string', value: 'ISO', help: 'created at or after this time (ISO 8601)' },
      to: { type: 'string', value: 'ISO', help: 'created before this time (ISO 8601)' },
      limit: { type: 'string', value: 'N', help: `show at most N deliveries (default ${DEFAULT_LIMIT}); totalCount counts them all` },
    },
    columns: ['id', 'creationTime', 'eventType', 'status', 'attempts', 'lastStatusCode', 'nextAttemptAt', 'url', 'lastError'],
    run: (api, { values }) =>
      listAll(api, '/admin/v1/webhooks/deliveries', {
        query: {
          workspaceId: str(values, 'workspace'),
          channelId: str(values, 'channel'),
          status: str(values, 'status'),
          eventType: str(values, 'event-type'),
          from: str(values, 'from'),
          to: str(values, 'to'),
        },
        limit: positiveInt(values, 'limit', 'webhook deliveries') ?? DEFAULT_LIMIT,
      }),
  },
  {
    group: 'webhook',
    verb: 'delivery',
    summary: 'Show one delivery: its body and every attempt (status code, latency, error, first KiB of the answer).',
    positional: 'ID',
    options: {},
    table: (result) => formatWithList(result, 'attemptLog', 'Attempts:', ['attemptedAt', 'statusCode', 'latencyMs', 'error', 'responseExcerpt']),
    run: (api, { id }) => api.request('GET', `/admin/v1/webhooks/deliveries/${seg(id)}`),
  },
  {
    group: 'webhook',
    verb: 'replay',
    summary: 'Send a delivery again (same webhook-id and body); its URL is enabled again.',
    positional: 'ID',
    options: {},
    run: (api, { id }) => api.request('POST', `/admin/v1/webhooks/deliveries/${seg(id)}/replay`),
  },
  {
    group: 'webhook',
    verb: 'recover',
    summary: 'Send again every failed or skipped delivery created since a time; their URLs are enabled again.',
    options: {
      since: { type: 'string', value: 'ISO', required: true, help: 'deliveries created at or after this time (ISO 8601)' },
      workspace: { type: 'string', value: 'ID', help: 'only this workspace' },
    },
    run: (api, { values }) => api.request('POST', '/admin/v1/webhooks/deliveries/recover', compact({ since: str(values, 'since'), workspaceId: str(values, 'workspace') })),
  },
  {
    group: 'webhook',
    verb: 'targets',
    summary: "List a workspace's webhook URLs and their health (when and why one was disabled).",
    options: { workspace: workspaceOption },
    columns: ['id', 'url', 'failingSince', 'lastSuccessAt', 'lastFailureAt', 'disabledAt', 'disabledReason'],
    run: (api, { values }) => api.request('GET', `/admin/v1/workspaces/${seg(str(values, 'workspace') ?? '')}/webhook-targets`),
  },
  {
    group: 'webhook',
    verb: 'enable',
    summary: 'Start sending to a disabled webhook URL again (deliveries it skipped are not resent: see recover).',
    positional: 'TARGET_ID',
    options: {},
    run: (api, { id }) => api.request('POST', `/admin/v1/webhook-targets/${seg(id)}/enable`),
  },
  {
    group: 'webhook',
    verb: 'test',
    summary: "Send a signed Test event to the channel's webhook URLs (a worker delivers it).",
    positional: 'CHANNEL_ID',
    options: {},
    table: (result) => formatTable((result as { deliveries?: unknown } | null)?.deliveries ?? result),
    run: (api, { id }) => api.request('POST', `/admin/v1/channels/${seg(id)}/webhooks/test`),
  },
];
