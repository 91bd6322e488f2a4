import type { HangupCause, Unanswered } from '../port.js';

/**
 * How a SIP call that was not answered ended, in the port's terms: a final response's code
 * (RFC 3398 §8.2.6.1, as FreeSWITCH names the Q.850 causes) or a local condition. The IVR engine
 * maps outcome and cause on to Hatif's integers; sip/README.md has this table for operators.
 */

export interface Failure {
  outcome: Unanswered;
  cause: HangupCause;
}

const by = (outcome: Unanswered, cause: HangupCause): Failure => ({ outcome, cause });

/** Final responses 3xx–6xx to an INVITE, by code. */
export const SIP_FAILURES: Record<number, Failure> = {
  400: by('failed', 'NORMAL_TEMPORARY_FAILURE'),
  401: by('failed', 'CALL_REJECTED'), // our credentials were refused (or none are set)
  402: by('failed', 'CALL_REJECTED'),
  403: by('rejected', 'CALL_REJECTED'),
  404: by('failed', 'UNALLOCATED_NUMBER'),
  405: by('failed', 'SERVICE_UNAVAILABLE'),
  406: by('failed', 'SERVICE_UNAVAILABLE'),
  407: by('failed', 'CALL_REJECTED'),
  408: by('no-answer', 'RECOVERY_ON_TIMER_EXPIRE'), // a carrier's own ring timer, as FreeSWITCH reports it
  410: by('failed', 'NUMBER_CHANGED'),
  414: by('failed', 'INVALID_NUMBER_FORMAT'),
  415: by('failed', 'INCOMPATIBLE_DESTINATION'),
  416: by('failed', 'INVALID_NUMBER_FORMAT'),
  480: by('no-answer', 'NO_USER_RESPONSE'),
  481: by('failed', 'NORMAL_TEMPORARY_FAILURE'),
  482: by('failed', 'NETWORK_OUT_OF_ORDER'),
  483: by('failed', 'NETWORK_OUT_OF_ORDER'),
  484: by('failed', 'INVALID_NUMBER_FORMAT'),
  485: by('failed', 'UNALLOCATED_NUMBER'),
  486: by('busy', 'USER_BUSY'),
  487: by('cancelled', 'ORIGINATOR_CANCEL'),
  488: by('failed', 'INCOMPATIBLE_DESTINATION'),
  500: by('failed', 'NORMAL_TEMPORARY_FAILURE'),
  501: by('failed', 'SERVICE_UNAVAILABLE'),
  502: by('failed', 'NETWORK_OUT_OF_ORDER'),
  503: by('failed', 'NORMAL_TEMPORARY_FAILURE'),
  504: by('failed', 'RECOVERY_ON_TIMER_EXPIRE'),
  600: by('busy', 'USER_BUSY'),
  603: by('rejected', 'CALL_REJECTED'),
  604: by('failed', 'UNALLOCATED_NUMBER'),
  606: by('failed', 'INCOMPATIBLE_DESTINATION'),
  607: by('rejected', 'CALL_REJECTED'),
  608: by('rejected', 'CALL_REJECTED'),
};

/** A final 3xx–6xx the table does not name: by its class. */
export function failureOfStatus(status: number): Failure {
  const known = SIP_FAILURES[status];
  if (known) return known;
  if (status >= 600) return by('rejected', 'CALL_REJECTED');
  if (status >= 500) return by('failed', 'NORMAL_TEMPORARY_FAILURE');
  // 3xx (redirects are not followed) and other 4xx.
  return by('failed', 'NORMAL_UNSPECIFIED');
}

/** Local conditions that end a call attempt without a final response of the callee. */
export const LOCAL_FAILURES = {
  /** Our ring time-out ran out (we sent CANCEL). */
  ringTimeout: by('no-answer', 'NO_ANSWER'),
  /** The caller's signal aborted before an answer (we sent CANCEL). */
  aborted: by('cancelled', 'ORIGINATOR_CANCEL'),
  /** No response at all from the SIP server (Timer B, or none before the ring time-out). */
  noResponse: by('failed', 'RECOVERY_ON_TIMER_EXPIRE'),
  /** The server could not be reached (DNS, ICMP unreachable, TCP refused or reset). */
  transport: by('failed', 'NETWORK_OUT_OF_ORDER'),
  /** A 2xx whose SDP shares no codec with our offer (we ACK and BYE it). */
  incompatibleAnswer: by('failed', 'INCOMPATIBLE_DESTINATION'),
} satisfies Record<string, Failure>;

/** Q.850 cause values, for the Reason header of our BYE and CANCEL and for reading the callee's. */
export const Q850: Partial<Record<HangupCause, number>> = {
  UNALLOCATED_NUMBER: 1,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SERVICE_UNAVAILABLE: 63,
  INCOMPATIBLE_DESTINATION: 88,
  RECOVERY_ON_TIMER_EXPIRE: 102,
};

/** `Reason: Q.850;cause=16;text="NORMAL_CLEARING"` (RFC 3326), or null for causes Q.850 lacks (MEDIA_TIMEOUT …). */
export function reasonHeader(cause: HangupCause): string | null {
  const code = Q850[cause];
  return code === undefined ? null : `Q.850;cause=${code};text="${cause}"`;
}

/** The cause a callee's BYE gives in a Reason header, NORMAL_CLEARING when none or unknown. */
export function causeOfReason(values: string[]): HangupCause {
  for (const value of values) {
    const match = /^\s*Q\.850\s*;(?:.*;)?\s*cause\s*=\s*(\d+)/i.exec(value);
    if (!match) continue;
    const code = Number(match[1]);
    const found = (Object.entries(Q850) as [HangupCause, number][]).find(([, n]) => n === code);
    if (found) return found[0];
  }
  return 'NORMAL_CLEARING';
}
