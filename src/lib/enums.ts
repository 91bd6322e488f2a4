/**
 * Hatif's integer enums and their names, in one place. Inputs accept the integer or the name
 * (case-insensitive); outputs follow each endpoint's documented form (decisions.md "Enums").
 */
export type EnumTable = Readonly<Record<number, string>>;

export const ChannelType = { 1: 'PhoneNumber', 2: 'WhatsApp', 3: 'PhoneNumberAndWhatsapp' } as const;
export const UserRole = { 1: 'Owner', 2: 'Member' } as const;
// Not documented by Hatif; Wasl's own values (see the channels feature README).
export const PhoneNumberStatus = { 1: 'Active', 2: 'Inactive' } as const;
export const WhatsAppProviderType = { 1: 'CloudApi', 2: 'Sandbox' } as const;
export const FallbackStrategy = { 0: 'None', 1: 'Mobile', 2: 'Voicemail' } as const;
export const BusinessAccountStatus = { 1: 'Connected', 2: 'Disconnected' } as const;

// Contacts (spec §3.20: 1–4 are Hatif's; 5–9 are Wasl's). ContactType 1 is inferred (§5.A).
export const PropertyType = { 1: 'Text', 2: 'Number', 3: 'Select', 4: 'Date', 5: 'Boolean', 6: 'MultiSelect', 7: 'Url', 8: 'Email', 9: 'Phone' } as const;
export const ContactType = { 1: 'Individual', 2: 'Business' } as const;
/** Where a contact change came from (history `source`). */
export const ChangeSource = { 1: 'Api', 2: 'Import', 3: 'System' } as const;
/**
 * Contact search operators (spec §8 leaves them open; `1` = Equals is the documented example).
 * features/contacts/README.md lists which property types allow each.
 */
export const FilterOperator = {
  1: 'Equals',
  2: 'NotEquals',
  3: 'Contains',
  4: 'NotContains',
  5: 'StartsWith',
  6: 'GreaterThan',
  7: 'GreaterThanOrEqual',
  8: 'LessThan',
  9: 'LessThanOrEqual',
  10: 'Between',
  11: 'In',
  12: 'NotIn',
  13: 'IsSet',
  14: 'IsNotSet',
} as const;

// Conversations (spec §5.B). SourceType 1–3 are Hatif's; 4–6 are Wasl's (features/conversations/README.md).
export const ConversationStatus = { 1: 'Open', 2: 'Closed' } as const;
export const EventSourceType = { 1: 'Call', 2: 'WhatsApp', 3: 'Assignation', 4: 'Note', 5: 'StatusChange', 6: 'AiSummary' } as const;
export const EventDirection = { 1: 'Inbound', 2: 'Outbound', 3: 'Internal' } as const;
/** The call webhook's sentiment scale (§4.1), also a conversation's. */
export const Sentiment = { 1: 'Positive', 2: 'Neutral', 3: 'Negative', 4: 'Mixed', 5: 'Unknown' } as const;

// Voice (spec §3.23, §4.1, §4.3). The IVR tables are undocumented integers (§8): Wasl numbers the
// sample payload's lists in their order (the live `status 4, result 1` then reads Completed,
// DigitPressed); `ttsVoice` 1 = Female as the spec example shows (Male first, as the request lists).
export const TtsVoice = { 0: 'Male', 1: 'Female' } as const;
export const IvrAudioType = { 1: 'File', 2: 'Tts' } as const;
export const IvrStatus = { 0: 'Pending', 1: 'Initiated', 2: 'Ringing', 3: 'InProgress', 4: 'Completed', 5: 'NoAnswer', 6: 'Busy', 7: 'Failed' } as const;
export const IvrResult = { 0: 'None', 1: 'DigitPressed', 2: 'NoInput', 3: 'InvalidInput', 4: 'NotAnswered', 5: 'DestinationBusy', 6: 'TechnicalFailure', 7: 'Cancelled' } as const;
/** The Call Webhook's `status` (§4.1). */
export const CallStatus = { 0: 'Active', 1: 'Completed', 2: 'Missed', 3: 'RejectedByCaller', 4: 'RejectedByCallee', 5: 'NoAnswer', 6: 'Cancelled', 7: 'Failed', 8: 'Ringing' } as const;
export const CallType = { 1: 'Inbound', 2: 'Outbound' } as const;

/** A table's names → integers (`codes(UserRole).Owner === 1`), for code that writes the values. */
export function codes<T extends EnumTable>(table: T): { readonly [K in keyof T as T[K] & string]: K } {
  return Object.fromEntries(Object.entries(table).map(([value, name]) => [name, Number(value)])) as never;
}

/** The integer for `value` (an integer, a numeric string, or a name), or undefined. */
export function enumValue(table: EnumTable, value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value in table ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return enumValue(table, Number(text));
  const lower = text.toLowerCase();
  for (const [key, name] of Object.entries(table)) if (name.toLowerCase() === lower) return Number(key);
  return undefined;
}
