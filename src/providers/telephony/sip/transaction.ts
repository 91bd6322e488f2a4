import type { Clock } from '../../../lib/clock.js';
import { parseVia } from './address.js';
import { inviteTransactionRequest } from './dialog.js';
import { header, type SipRequest, type SipResponse } from './message.js';
import type { Endpoint, SipTransport } from './transport.js';

/**
 * RFC 3261 §17 transactions over one call's transport. Client side: INVITE (Timer A retransmits
 * over UDP from T1 doubling while no response came, Timer B gives up after 64·T1; a 3xx–6xx is
 * ACKed here, with the same branch, each time it arrives; every 2xx goes to the caller, who ACKs
 * it) and non-INVITE (BYE, CANCEL: Timer E from T1 doubling to T2, Timer F after 64·T1). Server
 * side: a retransmitted request gets the response already given, without reaching the call again.
 * Timers run on the injected clock.
 */

export interface SipTimers {
  /** RTT estimate, 500 ms by default. */
  t1Ms: number;
  /** Longest retransmission interval for non-INVITE requests, 4 s by default. */
  t2Ms: number;
}

export const DEFAULT_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000 };

/** Runs `fn` once `ms` have passed on the clock; the returned function cancels it. */
export function after(clock: Clock, ms: number, fn: () => void): () => void {
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(fn, () => {});
  return () => controller.abort();
}

export interface ClientHandlers {
  /** Each response: provisional, final, and every 2xx retransmission of an INVITE. */
  onResponse(response: SipResponse): void;
  /** Timer B or F: no final response came in time. */
  onTimeout(): void;
}

const branchOf = (m: SipRequest | SipResponse) => {
  const top = header(m, 'Via');
  return top ? (parseVia(top).params.branch ?? '') : '';
};
const cseqMethod = (m: SipRequest | SipResponse) => (header(m, 'CSeq') ?? '').trim().split(/\s+/)[1]?.toUpperCase() ?? '';

export function createTransactionLayer(deps: { transport: SipTransport; clock: Clock; timers: SipTimers }) {
  const { transport, clock, timers } = deps;
  const clients = new Map<string, (response: SipResponse) => void>();
  const served = new Map<string, { response: SipResponse | null; to: Endpoint }>();
  const stops = new Set<() => void>();
  let onRequest: (request: SipRequest, from: Endpoint) => void = () => {};

  const timer = (ms: number, fn: () => void) => {
    const stop = after(clock, ms, () => (stops.delete(stop), fn()));
    stops.add(stop);
    return () => (stops.delete(stop), stop());
  };

  transport.onMessage((message, from) => {
    if (message.kind === 'response') {
      clients.get(`${branchOf(message)}|${cseqMethod(message)}`)?.(message);
      return;
    }
    if (message.method === 'ACK') return onRequest(message, from);
    const key = `${branchOf(message)}|${message.method}`;
    const seen = served.get(key);
    if (seen) {
      if (seen.response) transport.send(seen.response, seen.to);
      return;
    }
    served.set(key, { response: null, to: from });
    onRequest(message, from);
  });

  /** The ACK of a 3xx–6xx (§17.1.1.3): same branch and CSeq number, the response's To. */
  const ackFor = (invite: SipRequest, response: SipResponse) => inviteTransactionRequest(invite, 'ACK', header(response, 'To') ?? header(invite, 'To') ?? '');

  function sendInvite(invite: SipRequest, to: Endpoint, handlers: ClientHandlers) {
    const key = `${branchOf(invite)}|INVITE`;
    let state: 'calling' | 'proceeding' | 'accepted' | 'completed' = 'calling';
    let stopA = () => {};
    const send = () => transport.send(invite, to);
    send();
    if (!transport.reliable) {
      let interval = timers.t1Ms;
      const retransmit = () => {
        if (state !== 'calling') return;
        send();
        interval *= 2;
        stopA = timer(interval, retransmit);
      };
      stopA = timer(interval, retransmit);
    }
    const stopB = timer(64 * timers.t1Ms, () => {
      if (state !== 'calling') return;
      clients.delete(key);
      handlers.onTimeout();
    });
    clients.set(key, (response) => {
      if (response.status >= 300) {
        transport.send(ackFor(invite, response), to);
        if (state === 'completed') return;
      }
      if (state === 'completed') return;
      stopA();
      stopB();
      if (response.status >= 300) state = 'completed';
      else if (response.status >= 200) state = 'accepted';
      else if (state === 'calling') state = 'proceeding';
      handlers.onResponse(response);
    });
  }

  function sendNonInvite(request: SipRequest, to: Endpoint, handlers: ClientHandlers) {
    const key = `${branchOf(request)}|${request.method}`;
    let state: 'trying' | 'proceeding' | 'completed' = 'trying';
    let stopE = () => {};
    const send = () => transport.send(request, to);
    send();
    if (!transport.reliable) {
      let interval = timers.t1Ms;
      const retransmit = () => {
        if (state === 'completed') return;
        send();
        interval = state === 'proceeding' ? timers.t2Ms : Math.min(2 * interval, timers.t2Ms);
        stopE = timer(interval, retransmit);
      };
      stopE = timer(interval, retransmit);
    }
    const stopF = timer(64 * timers.t1Ms, () => {
      if (state === 'completed') return;
      state = 'completed';
      stopE();
      clients.delete(key);
      handlers.onTimeout();
    });
    clients.set(key, (response) => {
      if (state === 'completed') return;
      if (response.status < 200) state = 'proceeding';
      else {
        state = 'completed';
        stopE();
        stopF();
      }
      handlers.onResponse(response);
    });
  }

  return {
    /** Sends a request in a new client transaction (INVITE or not, by its method). */
    send(request: SipRequest, to: Endpoint, handlers: ClientHandlers) {
      if (request.method === 'INVITE') sendInvite(request, to, handlers);
      else sendNonInvite(request, to, handlers);
    },
    /** Sends a message outside any transaction (the ACK of a 2xx, §13.2.2.4). */
    sendStateless(request: SipRequest, to: Endpoint) {
      transport.send(request, to);
    },
    /** Answers a request (from `onRequest`); a retransmission of it gets this response again. */
    respond(request: SipRequest, response: SipResponse) {
      const key = `${branchOf(request)}|${request.method}`;
      const entry = served.get(key);
      if (!entry) return;
      if (response.status >= 200) entry.response = response;
      transport.send(response, entry.to);
    },
    /** Where requests from the other side go (ACKs included, retransmissions not). */
    onRequest(handler: (request: SipRequest, from: Endpoint) => void) {
      onRequest = handler;
    },
    /** Stops every timer (the call is over; the transport closes next). */
    close() {
      for (const stop of [...stops]) stop();
      clients.clear();
    },
  };
}
export type TransactionLayer = ReturnType<typeof createTransactionLayer>;
