/**
 * What contacts-generate.ts writes and contacts.bench.ts asks: the workspace, the ten property
 * definitions, the word lists, and the five search bodies of issue 7 ("Scale").
 */
export const WORKSPACE_NAME = 'contacts-bench';
export const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/wasl_bench';
export const DEFAULT_DATA_DIR = '/tmp/wasl-contacts-pglite';

/** PropertyType codes (src/lib/enums.ts). */
export const PT = { Text: 1, Number: 2, Select: 3, Date: 4, Boolean: 5, MultiSelect: 6, Url: 7, Email: 8, Phone: 9 } as const;

export const CITIES = [
  'الرياض', 'جدة', 'مكة المكرمة', 'المدينة المنورة', 'الدمام', 'الخبر', 'الطائف', 'تبوك', 'أبها', 'بريدة', 'حائل', 'جازان',
  'Riyadh', 'Jeddah', 'Makkah', 'Madinah', 'Dammam', 'Khobar', 'Taif', 'Tabuk', 'Abha', 'Buraydah', 'Hail', 'Yanbu',
];
export const STATUS = ['Lead', 'Prospect', 'Customer', 'VIP', 'Churned', 'Partner'];
export const INTERESTS = ['Sports', 'Tech', 'Travel', 'Food', 'Fashion', 'Cars', 'Books', 'Music'];
export const TIERS = ['Bronze', 'Silver', 'Gold', 'Platinum'];
export const DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.sa', 'yahoo.com', 'company.com.sa', 'icloud.com'];

/** The ten definitions, one of every type (plus a second Select), created through the API. */
export const DEFINITIONS = [
  { name: 'City', type: PT.Text },
  { name: 'Score', type: PT.Number },
  { name: 'Status', type: PT.Select, selectOptions: STATUS.map((value, i) => ({ value, color: ['#999999', '#3366FF', '#33AA55', '#FFAA00', '#CC3333', '#8844CC'][i] ?? null })) },
  { name: 'Last Purchase', type: PT.Date },
  { name: 'Subscribed', type: PT.Boolean },
  { name: 'Interests', type: PT.MultiSelect, selectOptions: INTERESTS.map((value) => ({ value, color: null })) },
  { name: 'Website', type: PT.Url },
  { name: 'Work Email', type: PT.Email },
  { name: 'Alt Phone', type: PT.Phone },
  { name: 'Tier', type: PT.Select, selectOptions: TIERS.map((value) => ({ value, color: null })) },
] as const;

export const AR_FIRST = [
  'محمد', 'مُحَمَّد', 'أحمد', 'احمد', 'عبدالله', 'عبد الرحمن', 'خالد', 'سعود', 'فيصل', 'تركي', 'نايف', 'سلطان', 'عمر', 'علي',
  'حسن', 'حسين', 'محمود', 'مصطفى', 'يوسف', 'إبراهيم', 'ابراهيم', 'بندر', 'ماجد', 'راشد', 'وليد', 'طارق', 'ياسر', 'فهد',
  'فاطمة', 'عائشة', 'نورة', 'مريم', 'سارة', 'ليلى', 'ريم', 'هند', 'لطيفة', 'منى', 'هيفاء', 'أسماء', 'جواهر', 'شهد',
];
export const AR_LAST = [
  'الحربي', 'العتيبي', 'القحطاني', 'الغامدي', 'الزهراني', 'الشهري', 'الدوسري', 'المطيري', 'الشمري', 'العنزي', 'السبيعي',
  'المالكي', 'الأحمدي', 'المحمدي', 'آل سعود', 'الراشد', 'السديري', 'الجهني', 'البلوي', 'الرشيدي', 'اليامي', 'الخالدي',
];
export const LA_FIRST = [
  'Mohammed', 'Muhammad', 'Ahmed', 'Omar', 'Ali', 'Sara', 'Fatima', 'Noura', 'Yousef', 'Khalid', 'Abdullah', 'Faisal', 'Layla',
  'Maryam', 'John', 'David', 'Maria', 'Anna', 'James', 'Priya', 'Rahul', 'Jose', 'Ana', 'Wei', 'Hassan', 'Hussein', 'Tariq',
  'Reem', 'Hind', 'Élodie', 'José', 'Zoë', 'Chloé', 'Nasser',
];
export const LA_LAST = [
  'Al-Harbi', 'Al-Otaibi', 'Al-Qahtani', 'Al-Ghamdi', 'Alzahrani', 'Al Shehri', 'Smith', 'Johnson', 'Khan', 'Sharma', 'Garcia',
  'Santos', 'Nguyen', 'Müller', 'Dubois', 'Rossi', 'Haddad', 'Saleh', 'Mansour', 'Nasser', 'Fernández', 'Kowalski',
];
export const COMPANIES = [
  'أرامكو السعودية', 'سابك', 'STC', 'Mobily', 'Al Rajhi Bank', 'مصرف الراجحي', 'Almarai', 'المراعي', 'Jarir', 'مكتبة جرير',
  'Zain', 'NEOM', 'نيوم', 'Careem', 'Noon', 'Tamimi Markets', 'بنده', 'Elm', 'علم', 'Saudia',
];
export const POSITIONS = ['مدير مبيعات', 'Sales Manager', 'محاسب', 'Engineer', 'مهندس', 'CEO', 'مدير', 'Developer', 'Marketing Specialist', 'أخصائي تسويق'];

/** Dates of "Last Purchase" are days in [DATE_FROM, DATE_FROM + DATE_DAYS). */
export const DATE_FROM = '2024-01-01';
export const DATE_DAYS = 1065;

/** The five searches of the issue, as a client sends them (keys are the definitions' `key`s). */
export function searches(defIdByKey: Map<string, string>): Record<string, { label: string; body: object }> {
  const id = (key: string) => {
    const found = defIdByKey.get(key);
    if (!found) throw new Error(`no definition ${key}`);
    return found;
  };
  return {
    a: {
      label: '(a) Select equals: Status = Customer',
      body: { customPropertyFilters: [{ propertyDefinitionId: id('status'), operator: 1, value: 'Customer' }] },
    },
    b: {
      label: '(b) Score between 200 and 600 AND Status in (Lead, VIP)',
      body: { filterGroups: [{ filters: [{ propertyKey: 'score', operator: 'Between', value: [200, 600] }, { propertyKey: 'status', operator: 'In', value: ['Lead', 'VIP'] }] }] },
    },
    c: {
      label: '(c) (City contains "jed" OR Last Purchase > 2026-09-01) AND Status = Customer',
      body: {
        customPropertyFilters: [{ propertyDefinitionId: id('status'), operator: 1, value: 'Customer' }],
        filterGroups: [{ filters: [{ propertyKey: 'city', operator: 'Contains', value: 'jed' }] }, { filters: [{ propertyKey: 'last_purchase', operator: 'GreaterThan', value: '2026-09-01' }] }],
      },
    },
    d: { label: '(d) free text query "محمد"', body: { query: 'محمد' } },
    e: { label: '(e) phone prefix: phoneNumber StartsWith 96655', body: { filterGroups: [{ filters: [{ field: 'phoneNumber', operator: 'StartsWith', value: '96655' }] }] } },
  };
}
