import { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { Db } from './db/store.js';
import type { Engine } from './db/store.js';
import type { Clock } from './lib/clock.js';
import { createKeysRepo } from './features/auth/keys.repo.js';
import { createKeysService } from './features/auth/keys.service.js';
import { createTokensService } from './features/auth/tokens.service.js';
import { createTokenGuard } from './features/auth/token-guard.js';
import { createBootstrapService } from './features/bootstrap/bootstrap.service.js';
import { createSettingsRepo } from './features/bootstrap/settings.repo.js';
import { createChannelsRepo } from './features/channels/channels.repo.js';
import { createChannelsService } from './features/channels/channels.service.js';
import { createServiceAccountsRepo } from './features/service-accounts/service-accounts.repo.js';
import { createServiceAccountsService } from './features/service-accounts/service-accounts.service.js';
import { createTagsRepo } from './features/tags/tags.repo.js';
import { createTagsService } from './features/tags/tags.service.js';
import { createContactsRepo } from './features/contacts/contacts.repo.js';
import { createPropertiesRepo } from './features/contacts/properties.repo.js';
import { createContactsService } from './features/contacts/contacts.service.js';
import { createPropertiesService } from './features/contacts/properties.service.js';
import { createImportService } from './features/contacts/import.service.js';
import { createContactSearch } from './features/contacts/search.service.js';
import { createContactViews } from './features/contacts/views.js';
import { createConversationsRepo } from './features/conversations/conversations.repo.js';
import { createConversationsService } from './features/conversations/conversations.service.js';
import { createConversationEvents } from './features/conversations/events.service.js';
import { createThreadsService } from './features/conversations/threads.service.js';
import { phoneFragment } from './features/contacts/search.js';
import { Source as ContactSource } from './features/contacts/contacts.service.js';
import { createWhatsAppService } from './features/whatsapp/whatsapp.service.js';
import { createWhatsAppInbound } from './features/whatsapp/inbound.service.js';
import { createWebhookEventsRepo } from './features/whatsapp/webhook-events.repo.js';
import { createIdempotencyRepo } from './features/idempotency/idempotency.repo.js';
import { createIdempotencyService } from './features/idempotency/idempotency.service.js';
import { whatsAppJobs } from './features/whatsapp/whatsapp.jobs.js';
import { createTemplatesRepo } from './features/templates/templates.repo.js';
import { createTemplatesService } from './features/templates/templates.service.js';
import { createTemplateSends } from './features/templates/send-template.service.js';
import { templateJobs } from './features/templates/templates.jobs.js';
import { createSendFile } from './features/whatsapp/send-file.service.js';
import { createFilesRepo } from './features/media/files.repo.js';
import { createLinkSigner, LINK_KEY_SETTING } from './features/media/links.js';
import { createMediaService } from './features/media/media.service.js';
import { createDatabaseStorage } from './providers/storage/database.js';
import { createLocalStorage } from './providers/storage/local.js';
import { createReadReceiptSender, readReceipts } from './features/whatsapp/read-receipts.js';
import { createWorkspaceUsersRepo } from './features/workspace-users/workspace-users.repo.js';
import { createWorkspaceUsersService } from './features/workspace-users/workspace-users.service.js';
import { createWorkspacesRepo } from './features/workspaces/workspaces.repo.js';
import { createWorkspacesService } from './features/workspaces/workspaces.service.js';
import { createJobsRepo } from './jobs/jobs.repo.js';
import { createJobMetrics } from './jobs/metrics.js';
import { createJobQueue } from './jobs/queue.js';
import { webhookJobs } from './features/webhooks/webhooks.jobs.js';
import { createWebhookSettingsCache } from './features/webhooks/settings-cache.js';
import { createWebhooksRepo } from './features/webhooks/webhooks.repo.js';
import { createWebhooksService } from './features/webhooks/webhooks.service.js';
import { createOutboundHttp } from './providers/http/outbound.js';
import { createUrlGuard } from './providers/http/url-guard.js';
import { createProviderRegistry } from './providers/registry.js';
import { createSecretBox, createSecretsStart } from './lib/secret-box.js';
import { ENCRYPTION_KEY } from './features/bootstrap/settings.repo.js';
import { createTransactor } from './db/transaction.js';
import { createLifecycle } from './lib/lifecycle.js';
import { createAudioConverter } from './providers/audio/convert.js';
import { createAudioRepo } from './features/audio/audio.repo.js';
import { createAudioService } from './features/audio/audio.service.js';
import { createTts } from './providers/tts/index.js';
import { createCallsRepo } from './features/voice/calls.repo.js';
import { toE164 } from './lib/phone.js';
import { errors } from './lib/errors.js';
import { createCallsService } from './features/voice/calls.service.js';
import { createIvrService } from './features/voice/ivr.service.js';
import { createPromptLoader } from './features/voice/prompts.js';
import { createSandboxCalls } from './features/voice/sandbox-calls.js';
import { voiceJobs } from './features/voice/voice.jobs.js';
import { createTwimlCalls } from './features/voice/twiml-calls.js';
import { createTwimlRepo } from './features/voice/twiml.repo.js';
import { createEventLog } from './features/events/events.service.js';
import { createEventsRepo } from './features/events/events.repo.js';
import { createPeopleRepo } from './features/people/people.repo.js';
import { createPeopleService } from './features/people/people.service.js';
import { createSessions } from './features/people/sessions.service.js';
import { createSignInGuard } from './features/people/sign-in-guard.js';
import { createCookieAuth } from './http/auth.js';
import { createInboxRepo } from './features/inbox/inbox.repo.js';
import { createInboxService, INBOX_COUNT_CAP, MESSAGE_SEARCH_MS } from './features/inbox/inbox.service.js';

/** The one place that wires repos → services → job handlers. */
export function createContainer({ config, db, clock, bookkeeping = db, engine }: { config: Config; db: Db; clock: Clock; /** the store's pool for the workers' queue bookkeeping (store.ts) */ bookkeeping?: Db; /** the store's engine; DATABASE_URL says when absent */ engine?: Engine }) {
  const registry = new Registry();
  const lifecycle = createLifecycle();
  const onPostgres = (engine ?? (config.databaseUrl ? 'postgres' : 'pglite')) === 'postgres';
  // The main pool is pipelined on PostgreSQL (db/store.ts): writes sent with a COMMIT go with it.
  const transaction = createTransactor(db, { pipelined: onPostgres });
  // Queue bookkeeping commits lazily on PostgreSQL only (jobs.repo.ts lazyCommit): PGlite has no WAL writer of its own.
  const lazyCommit = config.databaseUrl !== null;
  const jobsRepo = createJobsRepo(db, { lazyCommit });
  // What worker loops claim, renew and finish with: the store's bookkeeping pool, never queued behind the jobs' own writes.
  const workerJobsRepo = createJobsRepo(bookkeeping, { lazyCommit });
  const queue = createJobQueue({ repo: jobsRepo, clock, afterCommit: transaction.afterCommit });
  const jobMetrics = createJobMetrics(registry, queue.stats, clock);
  // Webhook URLs and secrets as emitting and sending read them (a second at most); their owners say when they change.
  const webhookSettings = createWebhookSettingsCache();

  const settings = createSettingsRepo(db);
  // Sealed secrets: keys loaded (and old rows sealed) by secrets.init() at start, before any request or job.
  const secretBox = createSecretBox({
    key: config.encryptionKey,
    oldKeys: config.encryptionKeysOld,
    store: { get: () => settings.get<string>(ENCRYPTION_KEY), putIfAbsent: (key) => settings.insertIfAbsent(ENCRYPTION_KEY, key, clock.now()) },
  });
  // Every URL an operator or client sets for Wasl to call passes this at registration; the outbound clients check again at use.
  const assertUrl = createUrlGuard({ allowPrivate: config.webhookAllowPrivate });
  const workspaces = createWorkspacesService({ repo: createWorkspacesRepo(db), clock, transaction, secrets: secretBox, assertUrl, webhookSettingsChanged: webhookSettings.changed, cached: webhookSettings.read });
  const workspaceRegion = workspaces.region;

  const keys = createKeysService({ keysRepo: createKeysRepo(db), clock, transaction });
  const tokenGuard = createTokenGuard(config, clock);
  const serviceAccountsRepo = createServiceAccountsRepo(db);
  const serviceAccounts = createServiceAccountsService({ repo: serviceAccountsRepo, clock, workspaceExists: workspaces.exists });
  const tokens = createTokensService({
    keys,
    accountState: serviceAccounts.state,
    clock,
    issuer: config.publicUrl,
    ttlSeconds: config.tokenTtlSeconds,
  });

  const users = createWorkspaceUsersService({ repo: createWorkspaceUsersRepo(db), clock, workspaceRegion });
  const providerHttp = createOutboundHttp({ allowPrivate: config.webhookAllowPrivate, label: 'provider URL', userAgent: 'Wasl/1.0' });
  lifecycle.add('provider http', { stop: () => providerHttp.close() });
  const providers = createProviderRegistry({ http: providerHttp, clock });
  const channels = createChannelsService({ repo: createChannelsRepo(db), clock, transaction, secrets: secretBox, providers, assertUrl, workspaceRegion, webhookSettingsChanged: webhookSettings.changed, cached: webhookSettings.read });
  const secrets = createSecretsStart(secretBox, { workspaces: workspaces.resealSecrets, channels: channels.resealSecrets });
  lifecycle.add('secrets', { start: async () => void (await secrets.init()) });
  const tags = createTagsService({ repo: createTagsRepo(db), clock });
  const outbound = createOutboundHttp({ allowPrivate: config.webhookAllowPrivate, timeoutMs: config.webhookTimeoutMs, label: 'webhook URL', userAgent: 'Wasl-Webhooks/1.0' });
  lifecycle.add('outbound http', { stop: () => outbound.close() });
  // The event stream's log: every webhook event and the stream's own, positions given after commit (features/events).
  const eventLog = createEventLog({ repo: createEventsRepo(db), transaction, clock, notifyNodes: onPostgres, retentionMs: config.eventsRetentionHours * 3_600_000 });
  const webhooks = createWebhooksService({
    repo: createWebhooksRepo(db, { lazyCommit }),
    queue,
    transaction,
    clock,
    outbound,
    schedule: config.webhookRetrySchedule,
    settings: webhookSettings,
    channelHooks: channels.webhookHooks,
    workspaceHooks: workspaces.webhookHooks,
    record: eventLog.record,
  });
  queue.define(...webhookJobs({ webhooks }));

  const propertiesRepo = createPropertiesRepo(db);
  const contactsRepo = createContactsRepo(db);
  // National phone numbers in contacts read in the workspace's region (SA when it has none).
  const contactRegion = async (workspaceId: string, trx?: Db) => (await workspaceRegion(workspaceId, trx)) ?? 'SA';
  const contactViews = createContactViews({ repo: contactsRepo, properties: propertiesRepo, region: contactRegion, db });
  const contacts = createContactsService({ repo: contactsRepo, properties: propertiesRepo, transaction, clock, emit: webhooks.emit, region: contactRegion, views: contactViews });
  const contactSearch = createContactSearch({ repo: contactsRepo, views: contactViews, db, exactCountUpTo: config.searchExactCountUpTo });
  const imports = createImportService({ repo: contactsRepo, properties: propertiesRepo, transaction, clock, emit: webhooks.emit, region: contactRegion });
  const properties = createPropertiesService({ repo: propertiesRepo, transaction, clock, region: contactRegion, changed: contactViews.definitionsChanged });

  const conversationsRepo = createConversationsRepo(db);
  // A conversation's actor as contacts record it (a service account's id, else the person's).
  const conversationContactActor = (actor: { serviceAccountId?: string; userId: string | null; name: string | null }) => ({ id: actor.serviceAccountId ?? actor.userId, name: actor.name, source: ContactSource.Api });
  // The one way events land in a timeline (WhatsApp and voice append through it too).
  const conversationEvents = createConversationEvents({ repo: conversationsRepo, clock, emit: webhooks.emit });
  const conversations = createConversationsService({
    repo: conversationsRepo,
    events: conversationEvents,
    transaction,
    clock,
    emit: webhooks.emit,
    ensureContact: contacts.ensure,
    phoneFragment: async (workspaceId, text) => phoneFragment(text, await contactRegion(workspaceId)),
    contactActor: conversationContactActor,
    onRead: readReceipts(queue),
    record: eventLog.record,
  });
  const threads = createThreadsService({ repo: conversationsRepo, transaction, clock, authorOf: conversations.authorOf, record: eventLog.record }); // record

  // file storage and media (issue 9): wired here, before the WhatsApp services that use them.
  const fileStorage = config.fileStorage === 'database' ? createDatabaseStorage({ db, transaction }) : createLocalStorage({ dir: `${config.dataDir}/files` });
  // Files fetched for sends and sandbox injections: the SSRF guard, no redirects, 30 s for the whole file.
  const mediaHttp = createOutboundHttp({ allowPrivate: config.webhookAllowPrivate, timeoutMs: 30_000, label: 'file URL', userAgent: 'Wasl-Media/1.0' });
  lifecycle.add('media http', { stop: () => mediaHttp.close() });
  const fileLinks = createLinkSigner({
    clock,
    publicUrl: config.publicUrl,
    keyStore: { get: () => settings.get<string>(LINK_KEY_SETTING), putIfAbsent: (key) => settings.insertIfAbsent(LINK_KEY_SETTING, key, clock.now()) },
  });
  lifecycle.add('file links', { start: () => fileLinks.ready() });
  const media = createMediaService({
    storage: fileStorage,
    repo: createFilesRepo(db),
    http: mediaHttp,
    links: fileLinks,
    transaction,
    clock,
    publicUrl: config.publicUrl,
    maxBytes: config.mediaMaxBytes,
    webhookLinkTtlMs: config.mediaLinkTtlSeconds * 1000,
  });

  const whatsApp = createWhatsAppService({
    transaction,
    clock,
    queue,
    emit: webhooks.emit,
    channel: channels.whatsAppOf,
    adapter: (channelId) => channels.whatsApp(channelId),
    conversations,
    events: conversationEvents,
    ensureContact: contacts.ensure,
    contactActor: conversationContactActor,
    region: contactRegion,
    sendsPerSecond: config.whatsAppSendsPerSecond,
    mediaLink: media.webhookLink,
  });
  const whatsAppInbound = createWhatsAppInbound({
    transaction,
    clock,
    queue,
    emit: webhooks.emit,
    channel: channels.whatsAppOf,
    conversations,
    events: conversationEvents,
    ensureContact: contacts.ensure,
    adapter: (channelId) => channels.whatsApp(channelId),
    webhookEvents: createWebhookEventsRepo(db),
    db,
    media,
    mediaLink: media.webhookLink,
  });
  // file storage and media (issue 9): wired here.
  const sendFile = createSendFile({ transaction, whatsApp, media });
  // [templates] the template catalogue and sendTemplate (issue 9): wired here.
  const templates = createTemplatesService({ repo: createTemplatesRepo(db), transaction, clock, queue, channel: channels.whatsAppOf, adapter: (channelId) => channels.whatsApp(channelId) });
  const templateSends = createTemplateSends({ channel: channels.whatsAppOf, catalogue: templates, send: whatsApp.send, fetchMedia: media.fetchForSend });
  queue.define(...templateJobs({ templates }));
  const markRead = createReadReceiptSender({ adapter: (channelId) => channels.whatsApp(channelId), lastInboundMessageId: conversations.lastInboundMessageId });
  queue.define(...whatsAppJobs({ whatsApp, inbound: whatsAppInbound, markRead }));
  // Uploaded audio (issue 10): ffmpeg converts (a process per file, one per CPU at once); the WAVs are the workspace's files.
  const audioConverter = createAudioConverter({ ffmpegPath: config.ffmpegPath });
  const audio = createAudioService({ converter: audioConverter, media, repo: createAudioRepo(db), transaction, clock, publicUrl: config.publicUrl, maxSeconds: config.audioMaxSeconds });
  // Text-to-speech (espeak-ng: the program when it runs here, else the npm WASM build); engine chosen at first render.
  const tts = createTts({ espeakPath: config.espeakNgPath, prefer: config.ttsEngine });
  lifecycle.add('tts', { stop: () => tts.close() });
  // Calls (issue 10): records and their webhooks, outbound IVR through the channel's telephony adapter, simulated inbound calls.
  const callsRepo = createCallsRepo(db);
  const calls = createCallsService({ repo: callsRepo, transaction, clock, emit: webhooks.emit, conversations, events: conversationEvents, ensureContact: contacts.ensure });
  // Prompt WAVs: up to 10 MB each, through the SSRF guard, 30 s for the whole file.
  const promptHttp = createOutboundHttp({ allowPrivate: config.webhookAllowPrivate, timeoutMs: 30_000, label: 'prompt URL', userAgent: 'Wasl-Voice/1.0' });
  lifecycle.add('prompt http', { stop: () => promptHttp.close() });
  const prompts = createPromptLoader({ http: promptHttp, ownAudio: audio.audioByUrl, toTelephonyWav: (input) => audioConverter.toTelephonyWav(input), tts, storage: fileStorage, repo: callsRepo, clock, publicUrl: config.publicUrl });
  // Calls on a TwiML provider: placed by the IVR job, then carried on by the provider's callbacks (any node).
  const twimlCalls = createTwimlCalls({ repo: createTwimlRepo(db), calls: callsRepo, transaction, clock, steps: () => ivr.steps, channel: channels.voiceOf, telephony: (channel) => providers.telephony(channel), storage: fileStorage, publicUrl: config.publicUrl, ringTimeoutMs: config.ringTimeoutSeconds * 1000, queue });
  const ivr = createIvrService({
    repo: callsRepo,
    calls,
    transaction,
    clock,
    queue,
    emit: webhooks.emit,
    assertUrl,
    channel: channels.voiceOf,
    telephony: (channel) => providers.telephony(channel),
    callbacks: twimlCalls,
    prompts,
    normaliseNumber: async (workspaceId, input, member) => {
      const number = toE164(input, await contactRegion(workspaceId));
      if (!number) throw errors.invalidField(member, `${member} "${input}" is not a valid phone number.`);
      return number;
    },
    ringTimeoutMs: config.ringTimeoutSeconds * 1000,
    callsPerSecond: config.callStartsPerSecond,
  });
  const sandboxCalls = createSandboxCalls({ transaction, clock, queue, calls, repo: callsRepo, channel: channels.voiceOf });
  queue.define(...voiceJobs({ ivr, sandboxCalls, twimlCalls, callConcurrency: config.callConcurrency }));
  const idempotency = createIdempotencyService({ repo: createIdempotencyRepo(db), transaction, clock });

  // sign-in for people (issue 11): passwords, sign-ins (the cookie), one-time links; hashing shares the token guard's slots.
  const peopleRepo = createPeopleRepo(db);
  const sessions = createSessions({ repo: peopleRepo, clock, lifetimes: { idleMs: config.sessionIdleMinutes * 60_000, maxMs: config.sessionMaxDays * 86_400_000 } });
  const people = createPeopleService({ repo: peopleRepo, sessions, guard: createSignInGuard(config.signInFailuresPerMinute, clock), hashing: tokenGuard.verify, transaction, clock, publicUrl: config.publicUrl });
  const cookieAuth = createCookieAuth({ verify: sessions.verify, publicUrl: config.publicUrl });
  const peopleWiring = { people, sessions, cookieAuth };

  // The inbox's list and counts across channels (features/inbox); `inboxOptions` is read at each call.
  const inboxOptions = { countCap: INBOX_COUNT_CAP, messageSearchMs: MESSAGE_SEARCH_MS };
  const inbox = createInboxService({ repo: createInboxRepo(db), transaction, views: conversations.views, searchContacts: async (workspaceId, text, take) => (await contactSearch.search(workspaceId, { query: text }, { skip: 0, take, sort: [{ field: 'CreationTime', column: 'creation_time', desc: true }] })).items.map((k) => ({ id: k.id, name: k.name, phoneNumber: k.phoneNumber })), options: inboxOptions });
  const bootstrap = createBootstrapService({ config, clock, settings, workspaces, users, channels, serviceAccounts, invite: (userId) => people.createLink(userId, 'invitation') });

  return { ...peopleWiring, config, lifecycle, transaction, secrets, providers, registry, jobsRepo, workerJobsRepo, queue, jobMetrics, outbound, webhooks, workspaces, keys, serviceAccounts, tokens, tokenGuard, users, channels, tags, contacts, contactSearch, properties, imports, conversations, conversationEvents, threads, whatsApp, whatsAppInbound, media, sendFile, templates, templateSends, idempotency, settings, bootstrap, tts, audio, audioConverter, calls, ivr, sandboxCalls, twimlCalls, eventLog, inbox, inboxOptions };
}
export type Container = ReturnType<typeof createContainer>;
