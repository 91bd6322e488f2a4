/**
 * What conversations-generate.ts writes and conversations.bench.ts asks: the workspace, its
 * people, channels and tags, and the list filters measured (bench/conversations/README.md says why these).
 */
export const WORKSPACE_NAME = 'conversations-bench';
export const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/wasl_bench_conversations';
export const DEFAULT_DATA_DIR = '/tmp/wasl-conversations-pglite';

/** Channels and the share of conversations each gets. */
export const CHANNELS = [
  { name: 'Customer Care', type: 3, phoneNumber: '+966920000001', share: 0.6 },
  { name: 'Sales', type: 2, phoneNumber: '+966920000002', share: 0.3 },
  { name: 'Collections', type: 1, phoneNumber: '+966920000003', share: 0.1 },
] as const;

/** 17 people and 3 AI agents; assignments fall on them by a Zipf-like weight (the first most). */
export const PEOPLE = [
  'Sara Al-Harbi', 'Omar Khan', 'نورة القحطاني', 'Faisal Al-Otaibi', 'Layla Haddad', 'محمد الغامدي', 'Reem Saleh', 'Yousef Mansour',
  'Hind Al-Shehri', 'Tariq Nasser', 'عبدالله الدوسري', 'Maryam Santos', 'Khalid Alzahrani', 'Priya Sharma', 'فهد المطيري', 'Ana Garcia', 'Nasser Rossi',
];
export const AGENTS = ['Nour (AI)', 'Salma (AI)', 'Rayan (AI)'];
export const TAGS = ['VIP', 'Complaint', 'Billing', 'Delivery', 'Refund', 'New customer', 'Follow-up', 'Urgent', 'Spam', 'Feedback'];

export const MESSAGES_IN = [
  'السلام عليكم، متى يوصل طلبي؟', 'Hi, where is my order?', 'أبغى أغير العنوان', 'Can I get a refund?', 'كم سعر التوصيل؟',
  'The app is not working', 'شكراً', 'Is this available in blue?', 'الطلب وصل ناقص', 'Please call me back', 'وش أوقات الدوام؟',
  'I was charged twice', 'ممكن فاتورة؟', 'Hello?', 'أحتاج مساعدة في الدفع',
];
export const MESSAGES_OUT = [
  'وعليكم السلام، نعتذر عن التأخير. طلبك في الطريق.', 'Thanks for reaching out! Let me check that for you.', 'تم تحديث العنوان ✅',
  'Your refund has been issued; it takes 3–5 business days.', 'التوصيل مجاني فوق ١٠٠ ريال', 'Could you send a screenshot?', 'العفو، في خدمتك دائماً',
  'Yes, it is in stock.', 'نعتذر، سنرسل القطعة الناقصة اليوم', 'Sure, we will call you within the hour.', 'من ٩ صباحاً إلى ١١ مساءً',
  'We have reversed the duplicate charge.', 'تم إرسال الفاتورة على بريدك', 'Hi! How can we help?', 'جرب الدفع مرة ثانية من فضلك',
];
