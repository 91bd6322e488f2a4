/**
 * Wasl's closed vocabulary of errors. Every error the API answers with is an `AppError` made by
 * one factory below; its code is one of `ErrorCode` and its status comes from that code, so no
 * code is spelled twice, made up inline or sent with a status that disagrees with it. Services and
 * repos import this module; `http/` only renders it (the envelope of decisions.md).
 */
const STATUS = {
  'Wasl:ValidationFailed': 400,
  'Wasl:MalformedJson': 400,
  'Wasl:MalformedBody': 400,
  'Wasl:BadRequest': 400,
  'Wasl:Unauthorized': 401,
  'Wasl:Webhook:BadSignature': 401,
  'Wasl:Forbidden': 403,
  'Wasl:RouteNotFound': 404,
  'Wasl:Workspace:NotFound': 404,
  'Wasl:Channel:NotFound': 404,
  'Wasl:Tag:NotFound': 404,
  'Wasl:ServiceAccount:NotFound': 404,
  'Wasl:WebhookDelivery:NotFound': 404,
  'Wasl:WebhookTarget:NotFound': 404,
  'Wasl:Contact:NotFound': 404,
  'Wasl:ContactProperty:NotFound': 404,
  'Wasl:Conversation:NotFound': 404,
  'Wasl:ConversationEvent:NotFound': 404,
  'Wasl:Thread:NotFound': 404,
  'Wasl:MethodNotAllowed': 405,
  'Wasl:Tag:DuplicateName': 409,
  'Wasl:Tag:InUse': 409,
  'Wasl:ServiceAccount:DuplicateClientId': 409,
  'Wasl:User:DuplicateEmail': 409,
  'Wasl:WebhookDelivery:Pending': 409,
  'Wasl:Contact:DuplicatePhoneNumber': 409,
  'Wasl:ContactProperty:DuplicateName': 409,
  'Wasl:ContactProperty:IncompatibleValues': 409,
  'Wasl:Conversation:AlreadyOpen': 409,
  'Wasl:Conversation:ReplyConflict': 409,
  'Wasl:Idempotency:InProgress': 409,
  'Wasl:PayloadTooLarge': 413,
  'Wasl:RequestTimeout': 408,
  'Wasl:UriTooLong': 414,
  'Wasl:UnsupportedMediaType': 415,
  'Wasl:Channel:NoWebhookUrl': 422,
  'Wasl:Conversation:BothAssignees': 422,
  'Voxa:WhatsApp:ServiceWindowExpired': 422,
  'Wasl:Idempotency:KeyReused': 422,
  'Wasl:Channel:NoWhatsApp': 422,
  'Wasl:Channel:NotSandbox': 422,
  'Wasl:Template:NotFound': 404,
  'Wasl:File:NotFound': 404,
  // [templates] codes here.
  'Wasl:Template:Unknown': 422,
  'Wasl:Template:LanguageUnavailable': 422,
  'Wasl:Template:NotApproved': 422,
  'Wasl:Template:ParametersMismatch': 422,
  'Wasl:Channel:NoBusinessAccount': 422,
  'Wasl:Template:SyncFailed': 502,
  'Wasl:File:UrlRefused': 422,
  'Wasl:File:Unreachable': 422,
  'Wasl:File:TooLarge': 422,
  'Wasl:File:UnsupportedType': 422,
  'Wasl:File:LinkExpired': 403,
  'Wasl:File:LinkInvalid': 403,
  'Wasl:Audio:NotFound': 404,
  'Wasl:Audio:TooLarge': 413,
  'Wasl:Audio:TooLong': 413,
  'Wasl:Audio:UnsupportedType': 415,
  'Wasl:Audio:Undecodable': 415,
  'Wasl:Audio:ConversionTimedOut': 422,
  'Wasl:Tts:TextEmpty': 400,
  'Wasl:Tts:TextTooLong': 400,
  'Wasl:Voice:BadSignature': 403,
  'Wasl:Voice:CallNotFound': 404,
  'Wasl:Voice:PromptNotFound': 404,
  'Wasl:OutboundIvr:NotFound': 404,
  'Wasl:Channel:NoVoice': 422,
  'Wasl:Channel:NotSandboxVoice': 422,
  'Wasl:User:NotFound': 404,
  'Wasl:Session:NotFound': 404,
  'Wasl:Auth:InvalidCredentials': 401,
  'Wasl:Auth:EmailInUse': 409,
  'Wasl:Auth:LinkUsed': 410,
  'Wasl:Auth:LinkExpired': 410,
  'Wasl:User:IsAiAgent': 422,
  'Wasl:RateLimited': 429,
  'Wasl:Events:TooManyStreams': 429,
  'Wasl:Auth:TooManyFailures': 429,
  'Wasl:HeadersTooLarge': 431,
  'Wasl:InternalError': 500,
  'Wasl:ShuttingDown': 503,
  'Wasl:Busy': 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof STATUS;
export type ErrorStatus = (typeof STATUS)[ErrorCode];

export interface ValidationIssue {
  message: string;
  members: string[];
}

export interface ErrorExtra {
  details?: string | null;
  validationErrors?: ValidationIssue[] | null;
  headers?: Record<string, string>;
  data?: Record<string, unknown>;
}

/** Made only by the factories of this module (eslint forbids `new AppError` elsewhere). */
export class AppError extends Error {
  readonly statusCode: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message);
    this.statusCode = STATUS[code];
  }
}

/** Things that have ids a client can name; each has its `Wasl:<Entity>:NotFound` code. */
export type Entity = 'Workspace' | 'Channel' | 'Tag' | 'ServiceAccount' | 'WebhookDelivery' | 'WebhookTarget' | 'Contact' | 'ContactProperty' | 'Conversation' | 'ConversationEvent' | 'Thread' | 'Template' | 'File' | 'OutboundIvr' | 'User' | 'Session'; // User, Session

/** A refused file names its member both ways: in `validationErrors` (as a 400 does) and in `data.member`. */
const fileRefusal = (code: ErrorCode, member: string, message: string, data: Record<string, unknown> = {}) =>
  new AppError(code, message, { validationErrors: [{ message, members: [member] }], data: { member, ...data } });

const invalid = (issues: ValidationIssue[]) =>
  new AppError('Wasl:ValidationFailed', 'Your request is not valid!', {
    details: `The following errors were detected during validation.\n${issues.map((i) => ` - ${i.message}`).join('\n')}`,
    validationErrors: issues,
  });

export const errors = {
  // 400
  invalid,
  invalidField: (member: string, message: string) => invalid([{ message, members: [member] }]),
  malformedJson: (reason: string) => new AppError('Wasl:MalformedJson', `The request body is not valid JSON: ${reason}`),
  malformedBody: (reason: string) => new AppError('Wasl:MalformedBody', `The request body is malformed: ${reason}`),
  badRequest: (message: string) => new AppError('Wasl:BadRequest', message),
  // 401 / 403
  unauthorized: (reason: string) =>
    new AppError('Wasl:Unauthorized', reason, {
      headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${reason.replace(/["\\]/g, "'")}"` },
    }),
  forbidden: (reason: string) => new AppError('Wasl:Forbidden', reason),
  badWebhookSignature: (reason: string) => new AppError('Wasl:Webhook:BadSignature', `${reason} Nothing was stored.`),
  verifyTokenRefused: () => new AppError('Wasl:Forbidden', 'hub.verify_token is not this channel\'s verify token (or hub.mode is not subscribe).'),
  // 404 / 405
  notFound: (entity: Entity, id: string) => new AppError(`Wasl:${entity}:NotFound`, `${entity} ${id} was not found.`),
  routeNotFound: (method: string, path: string) => new AppError('Wasl:RouteNotFound', `No route matches ${method} ${path}.`),
  methodNotAllowed: (method: string) => new AppError('Wasl:MethodNotAllowed', `Method ${method} is not supported.`),
  // 409
  tagNameTaken: (name: string) => new AppError('Wasl:Tag:DuplicateName', `A tag named "${name}" already exists in this workspace.`),
  tagInUse: (id: string) => new AppError('Wasl:Tag:InUse', `Tag ${id} is still attached to conversations; detach it first.`),
  clientIdTaken: (clientId: string) =>
    new AppError('Wasl:ServiceAccount:DuplicateClientId', `A service account with client id ${clientId} already exists.`),
  userEmailTaken: (email: string | null) =>
    new AppError('Wasl:User:DuplicateEmail', `A user with email ${email} is already in this workspace.`),
  deliveryPending: (id: string) => new AppError('Wasl:WebhookDelivery:Pending', `Delivery ${id} is already waiting to be sent.`),
  contactPhoneTaken: (phoneNumber: string, contactId: string) =>
    new AppError('Wasl:Contact:DuplicatePhoneNumber', `Contact ${contactId} already has the phone number ${phoneNumber}.`, {
      data: { contactId, phoneNumber },
    }),
  propertyNameTaken: (name: string, key: string) =>
    new AppError('Wasl:ContactProperty:DuplicateName', `A contact property with the key "${key}" (from the name "${name}") already exists.`, {
      data: { key },
    }),
  propertyValuesIncompatible: (id: string, count: number, reason: string) =>
    new AppError('Wasl:ContactProperty:IncompatibleValues', `Contact property ${id} has ${count} value(s) that ${reason}; clear them first.`, {
      data: { count },
    }),
  conversationAlreadyOpen: (id: string, openId: string) =>
    new AppError('Wasl:Conversation:AlreadyOpen', `Conversation ${id} cannot reopen: conversation ${openId} is open for the same contact on this channel.`, {
      data: { conversationId: openId },
    }),
  replyConflict: (reply: { eventId: string; authorName: string | null; creationTime: Date }) =>
    new AppError('Wasl:Conversation:ReplyConflict', `${reply.authorName ?? 'Someone else'} replied at ${reply.creationTime.toISOString()}, after the last event you saw; read it, then send again (nothing was sent).`, { data: { eventId: reply.eventId, authorName: reply.authorName, creationTime: reply.creationTime.toISOString() } }),
  // 408 / 413 / 414 / 415 / 431
  tooLarge: (limit: number) => new AppError('Wasl:PayloadTooLarge', `The request body is larger than the limit of ${limit} bytes.`),
  requestTimeout: () => new AppError('Wasl:RequestTimeout', 'The request was not received in time.'),
  uriTooLong: (what: string) => new AppError('Wasl:UriTooLong', what),
  unsupportedMediaType: (type: string, accepted: string[] = ['application/json']) =>
    new AppError('Wasl:UnsupportedMediaType', `Content-Type ${type || '(none)'} is not supported here; send ${accepted.join(' or ')}.`),
  headersTooLarge: () => new AppError('Wasl:HeadersTooLarge', 'The request headers are too large.'),
  // 422
  noWebhookUrl: (channelId: string) =>
    new AppError('Wasl:Channel:NoWebhookUrl', `Channel ${channelId} has no whatsAppWebhookUrl or postCallWebhookUrl to test.`),
  bothAssignees: () =>
    new AppError('Wasl:Conversation:BothAssignees', 'Assign a conversation to a user or to an AI agent, not both: set one of assignedUserId and assignedAiAgentId (or neither, to unassign).'),
  serviceWindowExpired: (toNumber: string, lastInboundAt: Date | null) =>
    new AppError(
      'Voxa:WhatsApp:ServiceWindowExpired',
      lastInboundAt
        ? `The 24-hour window with ${toNumber} closed at ${new Date(lastInboundAt.getTime() + 86_400_000).toISOString()} (24 h after their last message): send a template.`
        : `${toNumber} has not written to this channel, so there is no 24-hour window: send a template.`,
      { data: { toNumber, lastInboundAt: lastInboundAt?.toISOString() ?? null } },
    ),
  idempotencyKeyReused: (key: string) =>
    new AppError('Wasl:Idempotency:KeyReused', `Idempotency-Key "${key}" was used within 24 hours for another request; use a new key for a new request.`),
  idempotencyInProgress: (key: string) =>
    new AppError('Wasl:Idempotency:InProgress', `A request with Idempotency-Key "${key}" is still being processed; retry in a moment to get its answer.`, {
      headers: { 'retry-after': '1' },
    }),
  channelNotSandbox: (channelId: string) =>
    new AppError('Wasl:Channel:NotSandbox', `Channel ${channelId} is not a sandbox WhatsApp channel: only sandbox channels take injected messages.`),
  channelWithoutWhatsApp: (channelId: string) => new AppError('Wasl:Channel:NoWhatsApp', `Channel ${channelId} has no WhatsApp number to send from.`),
  // 429
  rateLimited: (limit: number, retryAfterSeconds: number) =>
    new AppError('Wasl:RateLimited', `Rate limit of ${limit} requests per minute exceeded; retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  tooManyStreams: (where: string, limit: number) =>
    new AppError('Wasl:Events:TooManyStreams', `Too many event streams are open for ${where} (at most ${limit}); close one, or retry in 5 s.`, { headers: { 'retry-after': '5' } }),
  tooManyAuthFailures: (retryAfterSeconds: number) =>
    new AppError('Wasl:Auth:TooManyFailures', `Too many failed client authentications; retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  // [templates] factories here.
  templateUnknown: (name: string, channelId: string) =>
    new AppError('Wasl:Template:Unknown', `Channel ${channelId} has no template named "${name}" in its catalogue (synced from Meta): check the name, or sync the catalogue again.`, {
      data: { templateName: name },
      validationErrors: [{ message: `No template "${name}" on this channel.`, members: ['templateName'] }],
    }),
  templateLanguageUnavailable: (name: string, language: string, languages: string[]) =>
    new AppError('Wasl:Template:LanguageUnavailable', `Template "${name}" has no "${language}" version; it has ${languages.map((l) => `"${l}"`).join(', ')}.`, {
      data: { templateName: name, languages },
      validationErrors: [{ message: `Template "${name}" exists in ${languages.join(', ')}.`, members: ['language'] }],
    }),
  templateNotApproved: (name: string, language: string, status: string) =>
    new AppError('Wasl:Template:NotApproved', `Template "${name}" (${language}) is ${status}, not APPROVED: WhatsApp sends approved templates only.`, {
      data: { templateName: name, language, status },
    }),
  templateParametersMismatch: (name: string, language: string, issues: ValidationIssue[]) =>
    new AppError('Wasl:Template:ParametersMismatch', `The parameters do not fit template "${name}" (${language}): ${issues.map((i) => i.message).join(' ')}`, {
      data: { templateName: name, language },
      validationErrors: issues,
    }),
  channelWithoutBusinessAccount: (channelId: string) =>
    new AppError('Wasl:Channel:NoBusinessAccount', `Channel ${channelId} has no whatsApp.businessAccountId (the WhatsApp Business Account whose templates to sync): set it with PATCH /admin/v1/channels/${channelId}.`),
  templateSyncFailed: (channelId: string, providerCode: string | number, reason: string) =>
    new AppError('Wasl:Template:SyncFailed', `The Graph API refused or failed the template sync of channel ${channelId}: ${reason} (Meta's code ${providerCode}). The catalogue is unchanged.`, {
      data: { providerCode },
    }),
  // A file Wasl fetched for a send and refused (422), naming the member that gave its URL.
  fileUrlRefused: (member: string, reason: string) => fileRefusal('Wasl:File:UrlRefused', member, `${reason} Files are fetched only from public http(s) addresses.`),
  fileUnreachable: (member: string, reason: string) => fileRefusal('Wasl:File:Unreachable', member, `${member}: the file could not be fetched: ${reason}`),
  fileTooLarge: (member: string, limit: number, what: string, size?: number) =>
    fileRefusal(
      'Wasl:File:TooLarge',
      member,
      `${member}: the file is larger than ${limit} bytes (${(limit / 1e6).toLocaleString('en', { maximumFractionDigits: 1 })} MB), the most for ${what}${size === undefined ? '' : `; it has ${size}`}.`,
      { limitBytes: limit },
    ),
  fileTypeUnsupported: (member: string, reason: string) => fileRefusal('Wasl:File:UnsupportedType', member, `${member}: ${reason}`),
  // 403: a signed file link (GET /files/{id}) that is not, or no longer, valid.
  fileLinkExpired: () => new AppError('Wasl:File:LinkExpired', 'This file link has expired: ask for the file again (GET /v1/files/{id} with a token, or a newer webhook).'),
  fileLinkInvalid: () => new AppError('Wasl:File:LinkInvalid', "This file link's signature is not valid for this file and time."),
  // 5xx
  // An upload of POST /v1/support/upload-audio refused, naming its part (`audioFile`); 413/415 describe the request's own body here.
  audioTooLarge: (limit: number) =>
    fileRefusal('Wasl:Audio:TooLarge', 'audioFile', `audioFile is larger than ${limit} bytes (${(limit / 1e6).toLocaleString('en', { maximumFractionDigits: 2 })} MB), the most an audio upload may have.`, { limitBytes: limit }),
  audioTooLong: (limitSeconds: number) =>
    fileRefusal('Wasl:Audio:TooLong', 'audioFile', `audioFile: the audio is longer than ${limitSeconds} s, the longest accepted. Shorten it and upload it again.`, { limitSeconds }),
  audioUnsupported: (reason: string) => fileRefusal('Wasl:Audio:UnsupportedType', 'audioFile', `audioFile: ${reason} The type is read from the bytes, not the name or Content-Type.`),
  audioUndecodable: (reason: string) => fileRefusal('Wasl:Audio:Undecodable', 'audioFile', `audioFile: ${reason}`),
  audioConversionTimedOut: (reason: string) => fileRefusal('Wasl:Audio:ConversionTimedOut', 'audioFile', `audioFile: ${reason} The file may be damaged; try another encoding.`),
  audioNotFound: () => new AppError('Wasl:Audio:NotFound', 'No audio file is at this URL.'),
  // 400: text-to-speech refuses what it cannot say (the IVR's ttsText).
  ttsTextEmpty: () => fileRefusal('Wasl:Tts:TextEmpty', 'ttsText', 'ttsText has nothing to say (no letters or digits): give the words to speak, or an audioFileUrl.'),
  ttsTextTooLong: (length: number, max: number) =>
    fileRefusal('Wasl:Tts:TextTooLong', 'ttsText', `ttsText has ${length} characters; text-to-speech takes at most ${max}. Shorten it, or record the prompt and give an audioFileUrl.`, { maxCharacters: max }),
  voiceBadSignature: () => new AppError('Wasl:Voice:BadSignature', 'X-Twilio-Signature is missing or is not the provider\'s signature of this callback. Nothing was changed.'),
  voiceCallNotFound: (callId: string) => new AppError('Wasl:Voice:CallNotFound', `No call ${callId} of this channel waits for callbacks.`),
  voicePromptNotFound: () => new AppError('Wasl:Voice:PromptNotFound', 'No prompt is at this URL.'),
  channelNotSandboxVoice: (channelId: string) =>
    new AppError('Wasl:Channel:NotSandboxVoice', `Channel ${channelId}'s phone line is not the sandbox: only sandbox lines take simulated calls.`),
  channelWithoutVoice: (channelId: string) => new AppError('Wasl:Channel:NoVoice', `Channel ${channelId} has no phone line to call from (its type is WhatsApp only).`),
  internal: () => new AppError('Wasl:InternalError', 'An internal error occurred during your request!'),
  draining: () => new AppError('Wasl:ShuttingDown', 'The server is shutting down; retry on another node.'),
  invalidCredentials: () => new AppError('Wasl:Auth:InvalidCredentials', 'The email or password is not right.'),
  signInEmailInUse: (email: string) => new AppError('Wasl:Auth:EmailInUse', `${email} already signs in to a workspace; an email signs in to one workspace.`),
  linkUsed: () => new AppError('Wasl:Auth:LinkUsed', 'This link has been used already (or a newer one replaced it); ask for a new one.'),
  linkExpired: () => new AppError('Wasl:Auth:LinkExpired', 'This link has expired; ask for a new one.'),
  userIsAiAgent: (id: string) => new AppError('Wasl:User:IsAiAgent', `User ${id} is an AI agent; only people sign in.`),
  tooManySignInFailures: (retryAfterSeconds: number) =>
    new AppError('Wasl:Auth:TooManyFailures', `Too many failed sign-ins; retry in ${retryAfterSeconds} s.`, { headers: { 'retry-after': String(retryAfterSeconds) } }),
  busy: (retryAfterSeconds: number) =>
    new AppError('Wasl:Busy', `The server is busy; retry in ${retryAfterSeconds} s.`, { headers: { 'retry-after': String(retryAfterSeconds) } }),
};
