import { ar, en, type Key, type Message } from './messages.js';

/** Language and digits for the whole app; set from the person's settings (`GET /v1/auth/me`). */
export type Lang = 'ar' | 'en';
export type Digits = 'latn' | 'arab';

let lang: Lang = 'en';
let locale = 'en';
let plurals = new Intl.PluralRules('en');
let numbers = new Intl.NumberFormat('en');

export const browserLang = (): Lang => (navigator.language?.toLowerCase().startsWith('ar') ? 'ar' : 'en');

export function setLocale(language: Lang | null, digits: Digits | null) {
  lang = language ?? browserLang();
  locale = digits ? `${lang}-u-nu-${digits}` : lang;
  plurals = new Intl.PluralRules(locale);
  numbers = new Intl.NumberFormat(locale);
  const root = document.documentElement;
  root.lang = lang;
  root.dir = lang === 'ar' ? 'rtl' : 'ltr';
}
export const currentLang = () => lang;

const fill = (text: string, vars: Record<string, string | number>) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    return v === undefined ? '' : typeof v === 'number' ? numbers.format(v) : v;
  });

/** A message in the current language; `{n}` of a plural message picks its form. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const message: Message = (lang === 'ar' ? ar : en)[key] ?? en[key];
  if (typeof message === 'string') return fill(message, vars);
  const n = typeof vars.n === 'number' ? vars.n : 0;
  return fill(message[plurals.select(n)] ?? message.other, vars);
}

/** A number in the person's digits. */
export const num = (n: number) => numbers.format(n);

export function dateTime(iso: string, style: 'short' | 'full' = 'short'): string {
  const d = new Date(iso);
  const sameDay = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(locale, style === 'full' ? { dateStyle: 'medium', timeStyle: 'short' } : sameDay ? { timeStyle: 'short' } : { dateStyle: 'short' }).format(d);
}

/** "3 minutes ago", "in 2 hours". */
export function relative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  return rtf.format(Math.round(seconds), 'second');
}

/** A duration like "5 h 12 min" in the person's language and digits. */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const unit = (value: number, u: 'hour' | 'minute') => new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' }).format(value);
  return h ? `${unit(h, 'hour')} ${unit(m, 'minute')}` : unit(m, 'minute');
}
