import { parseLeadQuery } from '../../cli/leadControl';

describe('the lead query of nurture leads', () => {
  it('reads equality clauses on stage, source and segment joined by AND, quoted or not', () => {
    expect(parseLeadQuery('stage = "mql" AND source = "webinar"')).toEqual({ stage: 'mql', source: 'webinar' });
    expect(parseLeadQuery("segment='A1' and Stage = lead")).toEqual({ segment: 'A1', stage: 'lead' });
    expect(parseLeadQuery('source = "partner: acme"')).toEqual({ source: 'partner: acme' });
  });

  it('names what it cannot read', () => {
    expect(() => parseLeadQuery('stage = "mql" OR source = "webinar"')).toThrow('--query: cannot read "stage = \\"mql\\" OR source = \\"webinar\\"": write field = "value", joined by AND (fields: stage, source, segment)');
    expect(() => parseLeadQuery('tier = "hot"')).toThrow('--query: unknown field "tier" (fields: stage, source, segment)');
    expect(() => parseLeadQuery('stage = mql AND stage = sql')).toThrow('--query: stage is given twice');
  });
});
