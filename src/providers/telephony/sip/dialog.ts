import { randomBytes } from 'node:crypto';
import { formatVia, parseNameAddr, parseUri, uriHost } from './address.js';
import { header, headerAll, type SipRequest, type SipResponse } from './message.js';
import type { Endpoint, SipTransport } from './transport.js';

/**
 * A call's identifiers and the requests and responses built from them (RFC 3261 §8.1.1, §12):
 * fresh Call-ID, tags and z9hG4bK branches per call and per request; in-dialog requests go to the
 * remote target (the 2xx's Contact) through the route set (its Record-Route, reversed).
 */

export const newTag = () => randomBytes(6).toString('hex');
export const newBranch = () => `z9hG4bK${randomBytes(10).toString('hex')}`;
export const newCallId = () => `${randomBytes(16).toString('hex')}@wasl`;

export const USER_AGENT = 'Wasl';
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';

export interface Dialog {
  callId: string;
  /** Our From (URI in angle brackets and tag added when sent). */
  localUri: string;
  localTag: string;
  /** Their To; the tag comes with their first response that has one. */
  remoteUri: string;
  remoteTag: string | null;
  /** The Request-URI of in-dialog requests: their Contact. */
  remoteTarget: string;
  /** Record-Route of the 2xx, reversed: our Route headers. */
  routeSet: string[];
  /** Our last CSeq number. */
  localSeq: number;
  /** Our Contact header value. */
  contact: string;
}

export const viaHeader = (transport: SipTransport, branch: string) =>
  formatVia({ transport: transport.protocol, host: uriHost(transport.local.address), port: transport.local.port, params: { branch, rport: null } });

export const contactOf = (transport: SipTransport) =>
  `<sip:wasl@${uriHost(transport.local.address)}:${transport.local.port}${transport.protocol === 'TCP' ? ';transport=tcp' : ''}>`;

const from = (d: Dialog) => `<${d.localUri}>;tag=${d.localTag}`;
const to = (d: Dialog) => `<${d.remoteUri}>${d.remoteTag ? `;tag=${d.remoteTag}` : ''}`;

/** A request of the dialog with a new branch: its route set, From/To with tags, Call-ID and this CSeq. */
function dialogRequest(d: Dialog, transport: SipTransport, method: string, seq: number | string, extra: [string, string][], body: string): SipRequest {
  return {
    kind: 'request',
    method,
    uri: d.remoteTarget,
    headers: [
      ['Via', viaHeader(transport, newBranch())],
      ...d.routeSet.map((r) => ['Route', r] as [string, string]),
      ['Max-Forwards', '70'],
      ['From', from(d)],
      ['To', to(d)],
      ['Call-ID', d.callId],
      ['CSeq', `${seq} ${method}`],
      ...extra,
    ],
    body,
  };
}

/** A request inside the dialog (BYE, INFO …): new branch, next CSeq. */
export function inDialogRequest(d: Dialog, transport: SipTransport, method: string, extra: [string, string][] = [], body = ''): SipRequest {
  d.localSeq += 1;
  return dialogRequest(d, transport, method, d.localSeq, [['User-Agent', USER_AGENT], ...extra], body);
}

/** The ACK of a 2xx (§13.2.2.4): its own branch, the INVITE's CSeq number and credentials. */
export function ackOf2xx(d: Dialog, transport: SipTransport, invite: SipRequest): SipRequest {
  const seq = (header(invite, 'CSeq') ?? '1').trim().split(/\s+/)[0]!;
  const credentials = [...headerAll(invite, 'Authorization').map((v) => ['Authorization', v]), ...headerAll(invite, 'Proxy-Authorization').map((v) => ['Proxy-Authorization', v])] as [string, string][];
  return dialogRequest(d, transport, 'ACK', seq, credentials, '');
}

/**
 * A request that belongs to a pending INVITE's transaction (§9.1 CANCEL, §17.1.1.3 ACK of a
 * 3xx–6xx): its Request-URI, top Via, Route, From, Call-ID and CSeq number, with `to` as To.
 */
export function inviteTransactionRequest(invite: SipRequest, method: 'CANCEL' | 'ACK', to: string, extra: [string, string][] = []): SipRequest {
  const copy = (name: string) => headerAll(invite, name).map((v) => [name, v] as [string, string]);
  const seq = (header(invite, 'CSeq') ?? '1').trim().split(/\s+/)[0];
  return {
    kind: 'request',
    method,
    uri: invite.uri,
    headers: [...copy('Via').slice(0, 1), ...copy('Route'), ['Max-Forwards', '70'], ...copy('From'), ['To', to], ...copy('Call-ID'), ['CSeq', `${seq} ${method}`], ...extra],
    body: '',
  };
}

/** The CANCEL of a pending INVITE (§9.1): its To as sent. */
export function cancelOf(invite: SipRequest, reason: string | null): SipRequest {
  return inviteTransactionRequest(invite, 'CANCEL', header(invite, 'To') ?? '', [...(reason ? [['Reason', reason] as [string, string]] : []), ['User-Agent', USER_AGENT]]);
}

/** A response to their request (§8.2.6): Via, From, Call-ID, CSeq copied; our tag on To. */
export function responseTo(request: SipRequest, status: number, reason: string, options: { toTag?: string; headers?: [string, string][]; body?: string } = {}): SipResponse {
  const copy = (name: string) => headerAll(request, name).map((v) => [name, v] as [string, string]);
  let toValue = header(request, 'To') ?? '';
  if (options.toTag && parseNameAddr(toValue).params.tag === undefined) toValue += `;tag=${options.toTag}`;
  return {
    kind: 'response',
    status,
    reason,
    headers: [...copy('Via'), ...copy('From'), ['To', toValue], ...copy('Call-ID'), ...copy('CSeq'), ['Server', USER_AGENT], ...(options.headers ?? [])],
    body: options.body ?? '',
  };
}

/**
 * Where an in-dialog request goes: the first route (loose routing) or the remote target, by its
 * host and port; over TCP, and when the name does not resolve, the one server we talk to.
 */
export async function destinationOf(d: Dialog, transport: SipTransport): Promise<Endpoint> {
  if (transport.protocol === 'TCP') return transport.server;
  try {
    const uri = parseUri(d.routeSet.length ? parseNameAddr(d.routeSet[0]!).uri : d.remoteTarget);
    const host = uri.params.maddr ?? uri.host;
    return await transport.resolve(host, uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060));
  } catch {
    return transport.server;
  }
}
