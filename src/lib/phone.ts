import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

const ARABIC_INDIC = /[\u0660-\u0669\u06F0-\u06F9]/g;

/**
 * A phone number in E.164 with `+`, or null when it cannot be read. Accepts `+966…`, `966…`
 * (WhatsApp id form), `00966…`, spaces/dashes/brackets, Arabic-Indic digits, and national
 * numbers in `region` (libphonenumber gives nothing for `00…` or bare `966…`, so fix those first).
 */
export function toE164(input: string, region = 'SA'): string | null {
  const key = `${region} ${input}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const e164 = parseE164(input, region);
  // A bounded memo (libphonenumber takes ~0.1 ms a number; every send and inbound message asks).
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(key, e164);
  return e164;
}

const MEMO_SIZE = 10_000;
const memo = new Map<string, string | null>();

function parseE164(input: string, region: string): string | null {
  let text = input.replace(ARABIC_INDIC, (d) => String((d.charCodeAt(0) & 0xf) % 10)).replace(/[\s\-().]/g, '');
  if (text.startsWith('00')) text = `+${text.slice(2)}`;
  if (!/^\+?\d{4,17}$/.test(text)) return null;
  const attempts = text.startsWith('+') ? [text] : [text, `+${text}`];
  for (const candidate of attempts) {
    const parsed = parsePhoneNumberFromString(candidate, region as CountryCode);
    if (parsed?.isValid()) return parsed.number;
  }
  return null;
}

/** ISO 3166 alpha-2 regions libphonenumber knows. */
export { isSupportedCountry } from 'libphonenumber-js/max';

/** The region (ISO 3166 alpha-2) of an E.164 number, or null. */
export function regionOf(e164: string): string | null {
  return parsePhoneNumberFromString(e164)?.country ?? null;
}
