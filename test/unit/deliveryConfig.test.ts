import { deliveryConfig, parseConfig } from '../../app/config';

const parseDeliveryConfig = (env: Record<string, string | undefined>) => deliveryConfig(parseConfig(env));

const SECRET = 'link-secret-of-32-characters-abc';
const TWILIO = {
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'twilio-auth-token',
  TWILIO_FROM: '+15005550006',
};
const EMAIL = { SMTP_URL: 'smtps://relay:pw@smtp.relay.example:465', NURTURE_LINK_SECRET: SECRET, NURTURE_SENDER_ADDRESS: '1 Main St, Springfield' };

describe('delivery configuration', () => {
  it('serves no channel when nothing is set, with the embedded defaults for links and sender', () => {
    expect(parseDeliveryConfig({})).toEqual({
      publicUrl: 'http://127.0.0.1:3000',
      sender: { name: 'Nurture', company: 'Nurture', address: '' },
      offers: {},
    });
  });

  it('configures email from SMTP_URL, the From line and the unsubscribe mailbox of its domain', () => {
    const config = parseDeliveryConfig({ ...EMAIL, EMAIL_FROM: 'Sam Lee <sam@relay.example>', NURTURE_SENDER_COMPANY: 'Relay', PUBLIC_URL: 'https://nurture.relay.example' });
    expect(config).toMatchObject({
      publicUrl: 'https://nurture.relay.example',
      signingSecret: SECRET,
      sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
      email: { smtpUrl: 'smtps://relay:pw@smtp.relay.example:465', from: 'Sam Lee <sam@relay.example>', domain: 'relay.example' },
    });
    expect(config.sms).toBeUndefined();
    expect(config.webhook).toBeUndefined();
  });

  it('reads SMS from the TWILIO_* variables and the webhook endpoint from NURTURE_WEBHOOK_*', () => {
    const config = parseDeliveryConfig({ ...TWILIO, NURTURE_LINK_SECRET: SECRET, NURTURE_WEBHOOK_URL: 'https://crm.relay.example/hooks', NURTURE_WEBHOOK_SECRET: 'webhook-secret-0123' });
    // Twilio reports delivery to the API's own route unless told otherwise.
    expect(config.sms).toEqual({ accountSid: TWILIO.TWILIO_ACCOUNT_SID, authToken: 'twilio-auth-token', from: '+15005550006', statusCallbackUrl: 'http://127.0.0.1:3000/webhooks/twilio/status' });
    expect(config.webhook).toEqual({ url: 'https://crm.relay.example/hooks', secret: 'webhook-secret-0123' });
  });

  it('reads where each offer is downloaded', () => {
    const config = parseDeliveryConfig({ NURTURE_OFFERS: 'pricing_guide=https://relay.example/pricing.pdf, checklist=https://relay.example/checklist' });
    expect(config.offers).toEqual({ pricing_guide: 'https://relay.example/pricing.pdf', checklist: 'https://relay.example/checklist' });
  });

  it('treats empty variables as unset', () => {
    expect(parseDeliveryConfig({ SMTP_URL: '', NURTURE_LINK_SECRET: '' }).email).toBeUndefined();
  });

  it.each([
    ['an SMTP_URL of another scheme', { ...EMAIL, SMTP_URL: 'http://smtp.relay.example' }, /^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['a short link secret', { ...EMAIL, NURTURE_LINK_SECRET: 'short' }, /^NURTURE_LINK_SECRET: must be at least 16 characters/],
    ['email without a link secret', { SMTP_URL: EMAIL.SMTP_URL, NURTURE_SENDER_ADDRESS: 'x' }, /^NURTURE_LINK_SECRET: must be set/],
    ['SMS without a link secret', { ...TWILIO }, /^NURTURE_LINK_SECRET: must be set/],
    ['email without a postal address', { ...EMAIL, NURTURE_SENDER_ADDRESS: undefined }, /^NURTURE_SENDER_ADDRESS: must be set when SMTP_URL is/],
    ['a From line without an address', { EMAIL_FROM: 'Sam Lee' }, /^EMAIL_FROM="Sam Lee": must be an address or "Name <address>"/],
    ['a PUBLIC_URL without a scheme', { PUBLIC_URL: 'nurture.relay.example' }, /^PUBLIC_URL="nurture.relay.example": must be an http\(s\) URL/],
    ['a Twilio sender that is no number', { ...TWILIO, NURTURE_LINK_SECRET: SECRET, TWILIO_FROM: '555-0100' }, /^TWILIO_FROM="555-0100": must be an E\.164 number/],
    ['a webhook URL without its secret', { NURTURE_WEBHOOK_URL: 'https://crm.relay.example/hooks' }, /^NURTURE_WEBHOOK_SECRET: must be set together with NURTURE_WEBHOOK_URL/],
    ['an offer without a URL', { NURTURE_OFFERS: 'pricing_guide' }, /^NURTURE_OFFERS="pricing_guide": must be id=https:\/\/… pairs/],
  ])('stops at %s, naming the variable first', (_case, env, message) => {
    expect(() => parseDeliveryConfig(env)).toThrow(message);
  });

  it('does not echo a secret in its error', () => {
    expect(() => parseDeliveryConfig({ ...EMAIL, NURTURE_LINK_SECRET: 'hunter2' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });
});
