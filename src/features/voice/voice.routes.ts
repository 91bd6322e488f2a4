import { Type } from 'typebox';
import type { App } from '../../http/types.js';
import { pageRequest } from '../../http/paging.js';
import { IdParams, Paged, Uuid } from '../../http/schemas.js';
import type { CallsService } from './calls.service.js';
import type { IvrService } from './ivr.service.js';
import type { SandboxCalls } from './sandbox-calls.js';
import { CallItem, CallListQuery, CreateOutboundIvrBody, OutboundIvr, SandboxInboundCallBody } from './voice.schemas.js';
import { toCallItem } from './calls.view.js';

const CALL_SORT = { creationTime: 'created_at', pickupTime: 'pickup_at', hangupTime: 'hangup_at' };

export function voiceRoutes(app: App, { ivr, calls }: { ivr: IvrService; calls: CallsService }) {
  const tags = ['Voice'];
  app.post(
    '/v1/outbound-ivr',
    {
      config: { auth: 'bearer', errors: [404, 422] },
      schema: {
        tags,
        operationId: 'createOutboundIvr',
        summary: 'Create Outbound IVR',
        description:
          'Calls `destinationNumber` from the channel, plays the welcome prompt (if any) and the main prompt (a WAV URL or TTS), collects one key, plays the success or failed prompt, and retries up to `maxAudioRetries` times; then POSTs the completion webhook to `webhookUrl`. ' +
          'Answered at once with the record (status 0 Pending); the call runs as a job. The channel\'s Call Webhook hears 8 Ringing, 0 Active and the final status, and the call lands in the contact\'s conversation timeline. ' +
          'The same `externalId` again answers the first record (with `Idempotent-Replayed: true`) and calls no one. `status`: 0 Pending, 1 Initiated, 2 Ringing, 3 InProgress, 4 Completed, 5 NoAnswer, 6 Busy, 7 Failed; ' +
          '`result`: 0 None, 1 DigitPressed, 2 NoInput, 3 InvalidInput, 4 NotAnswered, 5 DestinationBusy, 6 TechnicalFailure, 7 Cancelled.',
        body: CreateOutboundIvrBody,
        response: { 200: OutboundIvr },
      },
    },
    async (req, reply) => {
      const { record, replayed } = await ivr.create(req.principal.workspaceId, req.body);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return record;
    },
  );
  app.get(
    '/v1/outbound-ivr/:id',
    {
      config: { auth: 'bearer', errors: [404] },
      schema: { tags: ['Wasl'], operationId: 'getOutboundIvr', summary: 'Get an outbound IVR request', description: 'The record as it stands: status, result, pressed key, the four timestamps, the call.', params: IdParams, response: { 200: OutboundIvr } },
    },
    (req) => ivr.get(req.principal.workspaceId, req.params.id),
  );
  app.get(
    '/v1/call/list',
    {
      config: { auth: 'bearer' },
      schema: {
        tags,
        operationId: 'listCalls',
        summary: 'List calls',
        description: "The workspace's calls, inbound and outbound (Hatif has this call; its docs do not). `callType` 1 Inbound, 2 Outbound; `status` as the Call Webhook's. Sorting: CreationTime (default DESC), PickupTime, HangupTime.",
        querystring: CallListQuery,
        response: { 200: Paged(CallItem) },
      },
    },
    async (req) => {
      const page = await calls.list(req.principal.workspaceId, pageRequest(req.query, CALL_SORT, 'creationTime DESC'));
      return { totalCount: page.totalCount, items: page.items.map(toCallItem) };
    },
  );
}

/** Operator route of the sandbox (operator.md): a simulated inbound call to a sandbox line. */
export function voiceSandboxRoutes(app: App, { sandboxCalls }: { sandboxCalls: SandboxCalls }) {
  app.post(
    '/admin/v1/sandbox/channels/:channelId/inbound-call',
    {
      config: { auth: 'admin', errors: [404, 422] },
      schema: {
        tags: ['Admin: channels'],
        operationId: 'adminSandboxInboundCall',
        summary: 'A sandbox line receives a call',
        description: 'The call rings for 3 s on the server clock, then is answered and lasts `durationSeconds`, or is missed: a timeline event in the caller\'s conversation (a closed one reopened) and the Call Webhook (type 1) at each status. 422 unless the channel\'s voice provider is the sandbox.',
        params: Type.Object({ channelId: Uuid }),
        body: SandboxInboundCallBody,
        response: { 202: Type.Object({ callId: Uuid }) },
      },
    },
    async (req, reply) => reply.code(202).send(await sandboxCalls.inbound(req.params.channelId, req.body)),
  );
}
