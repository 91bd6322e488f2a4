import { Type } from 'typebox';
import { DateTime, Nullable, Uuid } from '../../http/schemas.js';
import { defineWebhook } from '../../http/webhook-docs.js';
import { Contact } from './contacts.schemas.js';

// Workspace events (sent to the workspace's eventsWebhookUrl in the `{eventType, data}` envelope).
const ContactPayload = Type.Object(Contact.properties, { description: 'The contact as GET /v1/contacts/{id} answers it.' });
const Change = Type.Object({ propertyName: Type.String({ examples: ['Company'] }), oldValue: Nullable(Type.String()), newValue: Nullable(Type.String()) });
const where = "Sent to the workspace's `eventsWebhookUrl` (as `{eventType, data}`), signed with the workspace's secret, in the transaction of the change";

export const CONTACT_WEBHOOKS = [
  defineWebhook({ name: 'ContactCreated', operationId: 'contactCreatedWebhook', summary: 'Contact created', description: `${where} (not for imports: see ContactsImported).`, payload: ContactPayload }),
  defineWebhook({
    name: 'ContactUpdated',
    operationId: 'contactUpdatedWebhook',
    summary: 'Contact updated',
    description: `${where}: every changed field, custom field, property value or note, with the old and new values.`,
    payload: Type.Object({ contact: ContactPayload, changes: Type.Array(Change) }),
  }),
  defineWebhook({
    name: 'ContactDeleted',
    operationId: 'contactDeletedWebhook',
    summary: 'Contact deleted',
    description: `${where}.`,
    payload: Type.Object({ id: Uuid, workspaceId: Uuid, name: Type.String(), phoneNumber: Type.String(), deletionTime: DateTime }),
  }),
  defineWebhook({
    name: 'ContactsImported',
    operationId: 'contactsImportedWebhook',
    summary: 'Contacts imported',
    description: `${where}: one per vCard or CSV import, with its counts (never one event per contact).`,
    payload: Type.Object({
      workspaceId: Uuid,
      format: Type.Union([Type.Literal('vcard'), Type.Literal('csv')]),
      created: Type.Integer(),
      updated: Type.Integer(),
      skipped: Type.Integer(),
      errors: Type.Integer(),
    }),
  }),
];
