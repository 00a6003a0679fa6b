import { ConfigError, parseConfig } from '../../core/config';

describe('the configuration', () => {
  it('runs on embedded defaults when nothing is set, empty meaning unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' })).toEqual({ TEMPORAL_NAMESPACE: 'default', PORT: 3000 });
  });

  it('reads the API settings', () => {
    const config = parseConfig({ PORT: '8080', PUBLIC_URL: 'https://nurture.example.com', NURTURE_API_KEY: 'k'.repeat(24), NURTURE_LINK_SECRET: 's'.repeat(32) });
    expect(config).toMatchObject({ PORT: 8080, PUBLIC_URL: 'https://nurture.example.com', NURTURE_API_KEY: 'k'.repeat(24) });
  });

  it('reads the send windows, in the lead\'s local time', () => {
    expect(parseConfig({ NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun', NURTURE_SMS_WINDOW: '10:00-19:00,mon-fri' })).toMatchObject({
      NURTURE_EMAIL_WINDOW: { startMinute: 0, endMinute: 1440, days: [1, 2, 3, 4, 5, 6, 7] },
      NURTURE_SMS_WINDOW: { startMinute: 600, endMinute: 1140, days: [1, 2, 3, 4, 5] },
    });
  });

  it.each([
    ['PORT', 'eighty', 'PORT="eighty"'],
    ['PORT', '70000', 'PORT="70000"'],
    ['PUBLIC_URL', 'ftp://files.example.com', 'PUBLIC_URL="ftp://files.example.com": must be an http(s) URL'],
    ['NURTURE_LINK_SECRET', 'short', 'NURTURE_LINK_SECRET="short": must be at least 16 characters'],
    ['TEMPORAL_ADDRESS', 'localhost', 'TEMPORAL_ADDRESS="localhost": must be host:port'],
    ['NURTURE_EMAIL_WINDOW', '9-5', 'NURTURE_EMAIL_WINDOW="9-5": "9-5" must look like HH:MM-HH:MM'],
    ['NURTURE_SMS_WINDOW', '07:00-22:00,mon-sun', 'NURTURE_SMS_WINDOW="07:00-22:00,mon-sun": must stay inside the legal 08:00-21:00,mon-sun'],
  ])('stops at a wrong %s with one line naming it', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });
});
