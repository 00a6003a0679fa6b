import { emailDomain, leadSchema, profileUpdateSchema } from '../../core/model/lead';
import { isValidTimeZone } from '../../core/model/timezone';

function pathsOf(input: unknown): string[] {
  const result = leadSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((issue) => issue.path.join('.'));
}

describe('lead schema', () => {
  it('accepts a complete lead and normalises it', () => {
    const lead = leadSchema.parse({
      id: ' crm-42 ',
      email: 'dana@northwind.example',
      phone: '+49 (30) 123-456',
      firstName: 'Dana',
      lastName: 'Ng',
      company: 'Northwind',
      title: 'Head of Operations',
      industry: 'software',
      companySize: 300,
      country: 'de',
      timezone: 'Europe/Berlin',
      source: 'webinar',
      consent: { email: true, sms: false, inApp: true },
      attributes: { plan: 'trial', seats: 5, beta: true, note: null },
    });
    expect(lead.id).toBe('crm-42');
    // Country codes are stored upper case, whatever the source wrote.
    expect(lead.country).toBe('DE');
    expect(lead.timezone).toBe('Europe/Berlin');
    expect(lead.attributes).toEqual({ plan: 'trial', seats: 5, beta: true, note: null });
  });

  it('needs nothing but an id', () => {
    expect(leadSchema.parse({ id: 'x' })).toEqual({ id: 'x' });
    expect(pathsOf({})).toEqual(['id']);
    expect(pathsOf({ id: '   ' })).toEqual(['id']);
  });

  it('rejects a malformed email with the path email', () => {
    expect(pathsOf({ id: 'x', email: 'dana at northwind' })).toEqual(['email']);
    expect(pathsOf({ id: 'x', email: 'dana@' })).toEqual(['email']);
  });

  it('rejects a country that is not a two-letter code with the path country', () => {
    expect(pathsOf({ id: 'x', country: 'DEU' })).toEqual(['country']);
    expect(pathsOf({ id: 'x', country: 'D1' })).toEqual(['country']);
    expect(pathsOf({ id: 'x', country: 'Germany' })).toEqual(['country']);
  });

  it('rejects an unknown time zone with the path timezone and says it must be IANA', () => {
    const result = leadSchema.safeParse({ id: 'x', timezone: 'Mars/Olympus_Mons' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['timezone']);
    expect(result.error!.issues[0]!.message).toMatch(/IANA/);
  });

  it('reports every bad field at once, each with its path', () => {
    expect(pathsOf({ id: 'x', email: 'nope', timezone: 'Nowhere/City', country: 'XYZ' }).sort()).toEqual(['country', 'email', 'timezone']);
  });

  it('rejects a fractional or negative company size and a phone that is not a number', () => {
    expect(pathsOf({ id: 'x', companySize: 12.5 })).toEqual(['companySize']);
    expect(pathsOf({ id: 'x', companySize: -1 })).toEqual(['companySize']);
    expect(pathsOf({ id: 'x', phone: 'call me maybe' })).toEqual(['phone']);
  });

  it('rejects consent flags that are not booleans with their nested path', () => {
    expect(pathsOf({ id: 'x', consent: { sms: 'yes' } })).toEqual(['consent.sms']);
  });

  it('gives profile updates every field but the id, all optional', () => {
    expect(profileUpdateSchema.parse({ title: 'CTO' })).toEqual({ title: 'CTO' });
    expect(profileUpdateSchema.safeParse({ timezone: 'Not/AZone' }).success).toBe(false);
    // The id is not part of a profile update: an unknown key is dropped, not applied.
    expect(profileUpdateSchema.parse({ id: 'other', title: 'CTO' })).toEqual({ title: 'CTO' });
  });

  it('reads the email domain in lower case', () => {
    expect(emailDomain('Dana@NorthWind.Example')).toBe('northwind.example');
    expect(emailDomain(undefined)).toBeUndefined();
  });
});

describe('lead time zones must be IANA zone names', () => {
  it.each(['Europe/Berlin', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Australia/Sydney', 'UTC', 'Etc/GMT-2'])(
    'accepts the IANA zone %s',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(true);
      expect(leadSchema.parse({ id: 'x', timezone: zone }).timezone).toBe(zone);
    },
  );

  it.each(['Berlin', 'Europe/Atlantis', 'Mars/Base', '', 'Europe//Berlin'])('rejects %j, which names no IANA zone', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
    expect(pathsOf({ id: 'x', timezone: zone })).toEqual(['timezone']);
  });

  // Local time must not depend on the machine: core/model/timezone.ts promises that a replay on another
  // host computes the same instants. 'SYSTEM' is the host's own zone, so it can never be a lead's zone.
  it("rejects 'SYSTEM', which would make send windows depend on the host's zone", () => {
    expect(pathsOf({ id: 'x', timezone: 'SYSTEM' })).toEqual(['timezone']);
  });

  // A fixed offset is not an IANA zone name: it knows no daylight-saving rules, so a lead given
  // '+01:00' for Berlin would get its send windows an hour off all summer.
  it('rejects fixed offsets (+02:00, UTC+01:00, GMT+2, Z), which are not IANA zone names', () => {
    const accepted = ['+02:00', 'UTC+01:00', 'GMT+2', 'Z'].filter((zone) => leadSchema.safeParse({ id: 'x', timezone: zone }).success);
    expect(accepted).toEqual([]);
  });
});
