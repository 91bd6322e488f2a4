import { Type } from 'typebox';
import { DateTime, Nullable, Uuid } from '../../http/schemas.js';
import { defineWebhook } from '../../http/webhook-docs.js';
import { Conversation } from './conversations.schemas.js';

// Workspace events (sent to the workspace's eventsWebhookUrl in the `{eventType, data}` envelope).
const where = "Sent to the workspace's `eventsWebhookUrl` (as `{eventType, data}`), signed with the workspace's secret, in the transaction of the change";
const about = { id: Uuid, conversationId: Uuid, workspaceId: Uuid, channelId: Uuid, contactId: Uuid };
const by = { changedByUserId: Nullable(Type.String({ format: 'uuid' })), changedByName: Nullable(Type.String({ description: 'A person, or the client id of the service account.' })) };

export const CONVERSATION_WEBHOOKS = [
  defineWebhook({
    name: 'AssignedUserIdChanged',
    operationId: 'assignedUserIdChangedWebhook',
    summary: 'Conversation assignee changed',
    description: `${where}. Hatif's workspace event (spec §4.4): \`assignedUserId\` (or \`assignedAiAgentId\`) is the new assignee, both null when unassigned; \`status\` is the conversation's (1 Open, 2 Closed).`,
    payload: Type.Object({
      ...about,
      assignedUserId: Nullable(Type.String({ format: 'uuid' })),
      assignedAiAgentId: Nullable(Type.String({ format: 'uuid' })),
      assignedTeamId: Type.Null({ description: 'Always null: Wasl has no teams.' }),
      previousAssignedUserId: Nullable(Type.String({ format: 'uuid' })),
      previousAssignedAiAgentId: Nullable(Type.String({ format: 'uuid' })),
      assignedByUserId: Nullable(Type.String({ format: 'uuid' })),
      assignedByUserName: Nullable(Type.String()),
      status: Type.Integer(),
      creationTime: DateTime,
    }),
  }),
  defineWebhook({
    name: 'ConversationCreated',
    operationId: 'conversationCreatedWebhook',
    summary: 'Conversation created',
    description: `${where}. A create that also assigns sends this (unassigned) and then \`AssignedUserIdChanged\`; a create-or-get that returns the open conversation sends nothing.`,
    payload: Type.Object(Conversation.properties, { description: 'The conversation as Get Conversation answers it.' }),
  }),
  defineWebhook({
    name: 'ConversationStatusChanged',
    operationId: 'conversationStatusChangedWebhook',
    summary: 'Conversation closed or reopened',
    description: `${where}: closed or reopened through the API, or reopened by the customer's message or call.`,
    payload: Type.Object({ ...about, status: Type.Integer({ description: '1 Open, 2 Closed' }), previousStatus: Type.Integer(), ...by, creationTime: DateTime }),
  }),
  defineWebhook({
    name: 'ConversationTagsChanged',
    operationId: 'conversationTagsChangedWebhook',
    summary: 'Conversation tags changed',
    description: `${where}.`,
    payload: Type.Object({ ...about, tagIds: Type.Array(Uuid), addedTagIds: Type.Array(Uuid), removedTagIds: Type.Array(Uuid), ...by, creationTime: DateTime }),
  }),
];
