import type { CallRow } from './calls.repo.js';
import { timeSpan } from '../conversations/conversations.view.js';
import { CallKind, secondsBetween } from './calls.service.js';

/** An item of `GET /v1/call/list` (spec §6). */
export function toCallItem(c: CallRow & { phone_number_id?: string | null }) {
  const contactNumber = c.direction === CallKind.Inbound ? c.caller_number : c.callee_number;
  return {
    id: c.id,
    channelId: c.channel_id,
    userId: c.user_id,
    userName: null,
    phoneNumberId: c.phone_number_id ?? null,
    contactId: c.contact_id,
    contactNumber,
    contactNumberFormatted: contactNumber,
    callType: c.direction,
    status: c.status,
    creationTime: c.created_at,
    pickupTime: c.pickup_at,
    hangupTime: c.hangup_at,
    ringingDuration: timeSpan(secondsBetween(c.ringing_at ?? c.created_at, c.pickup_at ?? c.hangup_at)),
    callLength: timeSpan(secondsBetween(c.pickup_at, c.hangup_at)),
    hangupCause: c.hangup_cause,
    recordingUrl: c.recording_url,
    aiSummary: null,
  };
}
