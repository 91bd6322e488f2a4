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
