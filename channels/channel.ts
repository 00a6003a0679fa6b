// The part of a send that differs by channel. deliverTouch wraps every channel in the same ledger
// claim, consent check, quiet-hours check and mark, so no channel carries its own copy of them.
import type { Lead } from '../core/model/lead';
import type { SendFailure, Touch } from '../core/protocol';

/** The touch to send, to whom, and what its template may say about the lead's recent activity. */
interface DeliveryRequest {
  touch: Touch;
  lead: Lead;
  context?: Record<string, unknown>;
}

/** A failure that retrying cannot fix; the engine turns its reason into a consent or quality change. */
export interface PermanentFailure {
  reason: SendFailure;
  detail: string;
}

export interface PreparedSend {
  /** The normalised address (E.164 for SMS): recorded on the ledger row, checked against opted-out addresses. */
  recipient?: string;
  /** The URLs the send's click redirects may lead to. */
  links?: string[];
  /** Quiet hours: the first instant the message may go out, when that is later than now. */
  notBefore?: number;
  /** The provider call. Throws on failure; permanentFailure() says whether retrying can help. */
  deliver(): Promise<{ providerId?: string }>;
}

export interface DeliveryChannel {
  /**
   * Renders and addresses the touch at `now`. An address that can never work is a permanent failure;
   * a template or configuration that cannot produce the message throws.
   */
  prepare(request: DeliveryRequest, now: number): PreparedSend | PermanentFailure;
  /** What a provider error says about the lead when it is permanent; undefined means retry. */
  permanentFailure(err: unknown): PermanentFailure | undefined;
}

export function isPermanentFailure(value: PreparedSend | PermanentFailure): value is PermanentFailure {
  return 'reason' in value;
}
