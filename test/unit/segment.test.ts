import { placeOf } from '../../channels/place';
import { createLead, segmentOf, step } from '../../core/engine';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { defaultCatalog } from '../../sequences/library';

const catalog = defaultCatalog();
const now = Date.parse('2026-06-01T09:00:00Z');
const arrived = (lead: Lead) => createLead({ ...lead, ...placeOf(lead) }, now, catalog).state;
const view = (leadId: string, n: number, category: 'pricing' | 'blog'): LeadEvent => ({
  eventId: `${category}-${n}`,
  leadId,
  type: 'page_view',
  occurredAt: new Date(now).toISOString(),
  properties: { url: `https://example.com/${category}/${n}`, category },
});

describe('the lead matrix segment', () => {
  it('grades fit A to D and intent 1 to 4 against the MQL bars (fit 20, intent 10)', () => {
    // Fit 35 (size, country, title) is past one and a half times the bar of 20: A; no intent yet: 4.
    const buyer = arrived({ id: 'buyer', title: 'Head of Operations', companySize: 300, country: 'DE' });
    expect(segmentOf(buyer, now, catalog.model)).toBe('A4');
    // A pricing view is worth 10 points, the bar itself: 2; two of them pass one and a half times it: 1.
    const once = step(buyer, { kind: 'event', event: view('buyer', 1, 'pricing') }, now, catalog).state;
    expect(segmentOf(once, now, catalog.model)).toBe('A2');
    expect(segmentOf(step(once, { kind: 'event', event: view('buyer', 2, 'pricing') }, now, catalog).state, now, catalog.model)).toBe('A1');
    // Blog views are worth 2 each: three pass half the bar (3), one does not (4).
    const blogs = [1, 2, 3].reduce((state, n) => step(state, { kind: 'event', event: view('buyer', n, 'blog') }, now, catalog).state, buyer);
    expect(segmentOf(blogs, now, catalog.model)).toBe('A3');
    // Fit 20 (size and country) is the bar itself; 5 (country) is below half of it.
    expect(segmentOf(arrived({ id: 'mid', companySize: 300, country: 'DE' }), now, catalog.model)).toBe('B4');
    expect(segmentOf(arrived({ id: 'far', country: 'DE' }), now, catalog.model)).toBe('D4');
    // Nothing known of the lead: no fit at all.
    expect(segmentOf(arrived({ id: 'stranger' }), now, catalog.model)).toBe('D4');
  });
});
