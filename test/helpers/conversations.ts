import assert from 'node:assert/strict';
import { json, type Harness, type Workspace } from './build.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const CONVERSATIONS = '/v2/conversations/service-account';
export const THREADS = (eventId: string) => `/v1/conversations/events/${eventId}/threads`;

/** A call that must answer 200; its JSON. */
export async function ok(ws: Workspace, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<Json> {
  const res = await ws.api(method, url, body);
  assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
  return json(res);
}

/** A workspace with a WhatsApp channel, two people and an AI agent: what conversation tests start from. */
export async function conversationSetup(h: Harness) {
  const ws = await h.workspace();
  const add = async (url: string, body: Json): Promise<Json> => {
    const res = await h.admin('POST', url, body);
    assert.equal(res.statusCode, 200, res.body);
    return json(res);
  };
  const channel = await add(`/admin/v1/workspaces/${ws.id}/channels`, { name: 'Main Line', type: 2, phoneNumber: '+966500000001' });
  const users = `/admin/v1/workspaces/${ws.id}/users`;
  const sara = await add(users, { name: 'Sara', email: `sara-${ws.id}@example.com`, role: 1 });
  const omar = await add(users, { name: 'Omar', email: `omar-${ws.id}@example.com`, role: 2 });
  const agent = await add(users, { name: 'Nour (AI)', isAiAgent: true });
  return { ws, channel, sara, omar, agent };
}

/** Create-or-get a conversation for a phone number on a channel (200 asserted). */
export async function openConversation(ws: Workspace, channelId: string, phoneNumber: string, extra: Json = {}): Promise<{ conversation: Json; contactId: string }> {
  const res = await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channelId, PhoneNumber: phoneNumber, ...extra });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
