import { ConfigError, parseConfig, temporalSecurity } from '../../app/config';

describe('the configuration', () => {
  it('runs on embedded defaults when nothing is set, empty meaning unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' })).toEqual({ TEMPORAL_NAMESPACE: 'default', PORT: 3000, LOG_LEVEL: 'info', METRICS_PORT: 9464, NURTURE_EVENTS_SINCE: '2000-01-01', NURTURE_EVENTS_MAX_SKEW: '1h', NURTURE_WORKFLOW_CACHE: 10_000, NURTURE_PROMOTION_INTERVAL: '15m', NURTURE_TEMPORAL: 'dev-server' });
  });

  it("reads how the engine reaches a secured Temporal frontend: an API key goes over TLS with the system's CAs", () => {
    expect(temporalSecurity(parseConfig({}))).toEqual({});
    expect(temporalSecurity(parseConfig({ TEMPORAL_API_KEY: 'k'.repeat(40) }))).toEqual({ tls: true, apiKey: 'k'.repeat(40) });
    expect(temporalSecurity(parseConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: 'ns.tmprl.cloud' }))).toEqual({ tls: { serverNameOverride: 'ns.tmprl.cloud' } });
    expect(() => temporalSecurity(parseConfig({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k'.repeat(40) }))).toThrow('TEMPORAL_TLS: is false, but TLS settings or TEMPORAL_API_KEY are set');
    expect(() => parseConfig({ TEMPORAL_TLS: 'yes' })).toThrow('TEMPORAL_TLS');
  });

  it('reads how many leads a worker keeps in memory, refusing fewer than 100', () => {
    expect(parseConfig({ NURTURE_WORKFLOW_CACHE: '50000' }).NURTURE_WORKFLOW_CACHE).toBe(50_000);
    expect(() => parseConfig({ NURTURE_WORKFLOW_CACHE: '10' })).toThrow('NURTURE_WORKFLOW_CACHE');
  });

  it('reads which Temporal `nurture start` runs: the dev server or the full cluster, and nothing else', () => {
    expect(parseConfig({ NURTURE_TEMPORAL: 'cluster' }).NURTURE_TEMPORAL).toBe('cluster');
    expect(() => parseConfig({ NURTURE_TEMPORAL: 'kubernetes' })).toThrow('NURTURE_TEMPORAL');
  });

  it('reads the API settings', () => {
    const config = parseConfig({ PORT: '8080', PUBLIC_URL: 'https://nurture.example.com', NURTURE_API_KEY: 'k'.repeat(24), NURTURE_LINK_SECRET: 's'.repeat(32) });
    expect(config).toMatchObject({ PORT: 8080, PUBLIC_URL: 'https://nurture.example.com', NURTURE_API_KEY: 'k'.repeat(24) });
  });

  it('reads the address the API listens on', () => {
    expect(parseConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(parseConfig({ HOST: '::' }).HOST).toBe('::');
  });

  it('reads the browser origins that may post events, as browsers send them', () => {
    expect(parseConfig({ NURTURE_CORS_ORIGINS: 'https://www.example.com, HTTP://LocalHost:5173/,https://shop.example.com:443' }).NURTURE_CORS_ORIGINS).toEqual([
      'https://www.example.com',
      'http://localhost:5173',
      'https://shop.example.com',
    ]);
    expect(parseConfig({ NURTURE_CORS_ORIGINS: ' * ' }).NURTURE_CORS_ORIGINS).toBe('*');
    expect(parseConfig({}).NURTURE_CORS_ORIGINS).toBeUndefined();
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
    ['NURTURE_LINK_SECRET', 'short', 'NURTURE_LINK_SECRET: must be at least 16 characters'],
    ['TEMPORAL_ADDRESS', 'localhost', 'TEMPORAL_ADDRESS="localhost": must be host:port'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL="verbose": Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"silent"'],
    ['NURTURE_EMAIL_WINDOW', '9-5', 'NURTURE_EMAIL_WINDOW="9-5": "9-5" must look like HH:MM-HH:MM'],
    ['NURTURE_SMS_WINDOW', '07:00-22:00,mon-sun', 'NURTURE_SMS_WINDOW="07:00-22:00,mon-sun": must stay inside the legal 08:00-21:00,mon-sun'],
    ['HOST', 'everywhere', 'HOST="everywhere": must be an IP address to listen on'],
    ['NURTURE_CORS_ORIGINS', 'https://www.example.com/signup', 'NURTURE_CORS_ORIGINS="https://www.example.com/signup": must be * or comma-separated http(s)://host[:port] origins without a path; not "https://www.example.com/signup"'],
    ['NURTURE_CORS_ORIGINS', 'https://www.example.com,example.org', 'NURTURE_CORS_ORIGINS="https://www.example.com,example.org": must be * or comma-separated http(s)://host[:port] origins without a path; not "example.org"'],
    ['NURTURE_CORS_ORIGINS', 'https://www.example.com,*', '* allows every origin and stands alone'],
    ['NURTURE_CORS_ORIGINS', ',', 'NURTURE_CORS_ORIGINS=",": must be * or comma-separated'],
  ])('stops at a wrong %s with one line naming it', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });
});
