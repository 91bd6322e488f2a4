import { Type } from 'typebox';
import { DateTime, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

const Status = (options = {}) =>
  Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('skipped')], options);

export const Delivery = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Also the webhook-id header: the same on every attempt.' }),
    workspaceId: Uuid,
    channelId: Nullable(Type.String({ format: 'uuid' })),
    url: Type.String(),
    eventType: Type.String({ examples: ['WhatsAppMessage'] }),
    status: Status({ description: 'skipped: its target was disabled' }),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(DateTime),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    creationTime: DateTime,
    deliveredAt: Nullable(DateTime),
  },
  { $id: 'WebhookDelivery' },
);

export const DeliveryWithAttempts = Type.Object({
  ...Delivery.properties,
  body: Type.String({ description: 'The exact bytes sent on every attempt.' }),
  attemptLog: Type.Array(
    Type.Object({
      attemptedAt: DateTime,
      statusCode: Nullable(Type.Integer()),
      latencyMs: Type.Integer(),
      error: Nullable(Type.String()),
      responseExcerpt: Nullable(Type.String({ description: 'The first KiB of the answer.' })),
    }),
  ),
});

/** `Sorting` of the deliveries list (default `CreationTime DESC`): API name → column. */
export const DELIVERY_SORT_FIELDS = { CreationTime: 'creation_time', Status: 'status', EventType: 'event_type', NextAttemptAt: 'next_attempt_at' } as const;

export const ListDeliveriesQuery = Type.Object({
  ...PagingQuery(50, Object.keys(DELIVERY_SORT_FIELDS)),
  workspaceId: Type.Optional(Uuid),
  channelId: Type.Optional(Uuid),
  status: Type.Optional(Status()),
  eventType: Type.Optional(Type.String({ maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after.' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before.' })),
});

export const PagedDeliveries = Paged(Delivery);

export const RecoverBody = Type.Object({
  since: Type.String({ format: 'date-time', description: 'Every failed or skipped delivery created since then is sent again.' }),
  workspaceId: Type.Optional(Uuid),
});

export const WebhookTarget = Type.Object(
  {
    id: Uuid,
    workspaceId: Uuid,
    url: Type.String(),
    failingSince: Nullable(DateTime),
    lastSuccessAt: Nullable(DateTime),
    lastFailureAt: Nullable(DateTime),
    disabledAt: Nullable(DateTime),
    disabledReason: Nullable(Type.String({ description: 'Why Wasl stopped sending here (410, or failing for 5 days).' })),
  },
  { $id: 'WebhookTarget' },
);

export const TestSent = Type.Object({
  deliveries: Type.Array(Type.Object({ id: Uuid, url: Type.String(), status: Type.String() })),
});
