// Where a lead is when it gave no zone: from its number (Google's libphonenumber metadata), else its
// country; the region (for states' SMS hours) from the number's area.
import { placeOf } from '../../channels/place';

describe('placeOf', () => {
  it.each([
    ['a New York number', { phone: '+1 212 555 0147' }, { zones: ['America/New_York'], region: 'US-NY' }],
    ['a Miami number written nationally, with its country', { phone: '(305) 555-0123', country: 'US' }, { zones: ['America/New_York'], region: 'US-FL' }],
    ['a Dallas number', { phone: '+12145550123' }, { zones: ['America/Chicago'], region: 'US-TX' }],
    ['a Toronto number', { phone: '+1 416 555 0123' }, { zones: ['America/Toronto'], region: 'CA-ON' }],
    ['a Berlin number', { phone: '+49 30 123456' }, { zones: ['Europe/Berlin'], region: 'DE-BE' }],
  ])('places %s by its number', (_, lead, place) => {
    expect(placeOf(lead)).toEqual(place);
  });

  it('keeps a toll-free number to the zones of its own country, and names no state', () => {
    const { zones, region } = placeOf({ phone: '+1 800 555 0123' });
    expect(zones).toEqual(expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu']));
    expect(zones).not.toContain('America/Toronto');
    expect(region).toBeUndefined();
  });

  it('falls back to the zones of the country, one per clock', () => {
    expect(placeOf({ country: 'DE' })).toEqual({ zones: ['Europe/Berlin'] });
    expect(placeOf({ country: 'US' }).zones).toEqual(expect.arrayContaining(['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles']));
    expect(placeOf({ phone: '12345', country: 'IE' })).toEqual({ zones: ['Europe/Dublin'] });
  });

  it('knows nothing of a lead without number or country, and says nothing for an update that names neither', () => {
    expect(placeOf({ phone: '12345' })).toEqual({ zones: [] });
    expect(placeOf({})).toEqual({});
  });
});
