// SMS through the Twilio SDK: numbers validated and normalised to E.164, quiet hours enforced again
// in the lead's zone at send time, and Twilio's errors sorted into permanent (a number no carrier
// takes, a recipient who texted STOP) and transient (everything else: retry).
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import twilio, { type Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { smsHoursFor, zonesOf } from '../core/model/quietHours';
import { nextInstantInsideAll, type SendWindow } from '../core/model/sendWindow';
import { placeOf } from './place';
import type { TemplateRenderer } from './templates';
import type { DeliveryChannel, PermanentFailure } from './channel';
import { renderVariables, type MessageSettings } from './links';

export interface SmsSettings extends MessageSettings {
  client: Twilio;
  /** An E.164 number or a Messaging Service SID (MG…). */
  from: string;
  /** Where Twilio reports delivered / undelivered / failed (handled by smsWebhooks). */
  statusCallbackUrl?: string;
  /** The model's SMS window (`catalog.model.cadence.windows.sms`), in the lead's local time. */
  window: SendWindow;
  /** Zone for leads that have none and whose number and country say none (`model.defaultTimezone`). */
  defaultTimezone: string;
  /** The legal hours by country and region (`model.smsHours`). */
  hours?: Record<string, SendWindow[]>;
  /** Country for numbers written without a +, when the lead has no country. */
  defaultCountry?: CountryCode;
}

/** Twilio errors that mean the number cannot take SMS: invalid, not mobile, unreachable from our sender. */
const INVALID_NUMBER_CODES = new Set([21211, 21217, 21612, 21614]);
/** The recipient texted STOP to our sender; Twilio refuses until they text START. */
const OPTED_OUT_CODE = 21610;

/** The E.164 form of a lead's number, or undefined when it is no valid number. */
export function normalisePhone(phone: string, country?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(phone, country as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

export function smsChannel(settings: SmsSettings, renderer: TemplateRenderer): DeliveryChannel {
  return {
    prepare({ touch, lead, context }, now) {
      const to = lead.phone ? normalisePhone(lead.phone, lead.country ?? settings.defaultCountry) : undefined;
      if (!to) return { reason: 'invalid_phone', detail: lead.phone ? `${lead.phone} is not a valid phone number` : 'the lead has no phone number' };
      // Quiet hours again at the wire, found as the engine found them: the lead's zone, else every
      // zone its number or country may be in, inside the legal hours of its state or country.
      const place = placeOf(lead);
      // Leads the engine placed nowhere are held there; one that reaches here anyway (a run from before zones) goes by the default.
      const placed = zonesOf({ timezone: lead.timezone, zones: place.zones });
      const zones = placed.length ? placed : [settings.defaultTimezone];
      const hours = smsHoursFor(settings.hours ?? {}, lead.country, place.region);
      const opens = nextInstantInsideAll(now, [[settings.window], ...hours], zones);
      if (opens === undefined) throw new Error('the SMS send window never opens');
      const { text } = renderer.renderText(touch.template!, renderVariables(touch, lead, context ?? {}, settings));
      // Carriers expect every marketing text to say how to stop them.
      const body = /\bSTOP\b/.test(text) ? text : `${text}\nReply STOP to opt out.`;
      return {
        recipient: to,
        notBefore: opens,
        async deliver() {
          const message = await settings.client.messages.create({
            to,
            body,
            ...(settings.from.startsWith('MG') ? { messagingServiceSid: settings.from } : { from: settings.from }),
            ...(settings.statusCallbackUrl ? { statusCallback: settings.statusCallbackUrl } : {}),
          });
          return { providerId: message.sid };
        },
      };
    },
    permanentFailure(err): PermanentFailure | undefined {
      const { code, message } = err as { code?: unknown; message?: string };
      if (typeof code !== 'number') return undefined;
      const detail = `Twilio ${code}: ${message}`;
      if (code === OPTED_OUT_CODE) return { reason: 'suppressed', detail };
      if (INVALID_NUMBER_CODES.has(code)) return { reason: 'invalid_phone', detail };
      return undefined;
    },
  };
}

// --- the client -------------------------------------------------------------------------------

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another Twilio-compatible API base (a local sink in tests); unset in production. */
  apiUrl?: string;
  statusCallbackUrl?: string;
}

/**
 * The SDK's HTTP client with every request sent to `apiUrl` instead of https://*.twilio.com. The
 * SDK's `region`/`edge` options only change the twilio.com host name, so another base needs this.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(private readonly apiUrl: URL) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    const base = this.apiUrl.pathname.replace(/\/$/, '');
    return super.request({ ...opts, uri: new URL(`${base}${target.pathname}${target.search}`, this.apiUrl).href });
  }
}

export function createTwilioClient(config: Pick<TwilioConfig, 'accountSid' | 'authToken' | 'apiUrl'>): Twilio {
  return twilio(config.accountSid, config.authToken, config.apiUrl ? { httpClient: new BaseUrlRequestClient(new URL(config.apiUrl)) } : {});
}
