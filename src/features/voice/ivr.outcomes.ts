import { Type } from 'typebox';
import { Uuid } from '../../http/schemas.js';
import { codes, IvrResult, IvrStatus } from '../../lib/enums.js';
import type { DialResult, Unanswered } from '../../providers/telephony/port.js';
import { Call } from './calls.service.js';

export const IVR_CALL_JOB = 'voice.ivr-call';
export const IvrCallPayload = Type.Object({ ivrId: Uuid });
/** A call on a callback provider (TwiML) whose provider may have gone quiet: `twiml-calls.ts` `check`. */
export const TWIML_CHECK_JOB = 'voice.twiml-check';
export const TwimlCheckPayload = Type.Object({ callId: Uuid });

/** The longest an IVR call may run once placed (its job is stopped and the call hung up). */
export const MAX_CALL_MS = 15 * 60_000;

const Status = codes(IvrStatus);
const Result = codes(IvrResult);

/** How a request ends: its status and result, the call's final Call Webhook status, the cause. */
export interface Finish {
  status: number;
  result: number;
  callStatus?: number;
  at?: Date;
  cause?: string | null;
  error?: string | null;
  pressedDigit?: string | null;
}

/**
 * An unanswered call's record (README "Status, result and causes"): busy and declined are Busy /
 * DestinationBusy (RejectedByCallee on the Call Webhook), no answer NoAnswer / NotAnswered, a
 * network or number failure Failed / TechnicalFailure, our own cancel Failed / Cancelled.
 */
const UNANSWERED: Record<Unanswered, Omit<Finish, 'at' | 'cause' | 'error'>> = {
  busy: { status: Status.Busy, result: Result.DestinationBusy, callStatus: Call.RejectedByCallee },
  rejected: { status: Status.Busy, result: Result.DestinationBusy, callStatus: Call.RejectedByCallee },
  'no-answer': { status: Status.NoAnswer, result: Result.NotAnswered, callStatus: Call.NoAnswer },
  failed: { status: Status.Failed, result: Result.TechnicalFailure, callStatus: Call.Failed },
  cancelled: { status: Status.Failed, result: Result.Cancelled, callStatus: Call.Cancelled },
};

export function unanswered(d: Extract<DialResult, { answered: false }>): Finish {
  const error = d.outcome === 'failed' ? `The call could not be placed: ${d.reason}${d.sipCode ? ` (SIP ${d.sipCode})` : ''}.` : null;
  return { ...UNANSWERED[d.outcome], at: d.at, cause: d.cause, error };
}
