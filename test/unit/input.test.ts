import { FREE_FORM_LIMITS, freeFormProblem, identifier } from '../../core/model/input';

const nestedLevels = (levels: number): Record<string, unknown> => (levels === 1 ? { end: true } : { inner: nestedLevels(levels - 1) });

describe('free-form limits', () => {
  it('counts a flat object as one level and refuses more than the limit', () => {
    expect(freeFormProblem({ a: 1 })).toBeUndefined();
    expect(freeFormProblem(nestedLevels(FREE_FORM_LIMITS.depth))).toBeUndefined();
    expect(freeFormProblem(nestedLevels(FREE_FORM_LIMITS.depth + 1))).toBe(`nested ${FREE_FORM_LIMITS.depth + 1} levels deep; at most 8`);
    // Arrays nest like objects.
    expect(freeFormProblem({ list: [[[[[[[[1]]]]]]]] })).toBe('nested 9 levels deep; at most 8');
  });

  it('counts keys at every level', () => {
    const half = Object.fromEntries(Array.from({ length: 100 }, (_, n) => [`k${n}`, n]));
    expect(freeFormProblem({ ...half, inner: half })).toBe('holds 201 keys; at most 200');
    expect(freeFormProblem({ inner: half })).toBeUndefined();
  });

  it('measures size as UTF-8 JSON', () => {
    // 'é' is two bytes: 33,000 of them pass a count of characters but not of bytes.
    expect(freeFormProblem({ text: 'é'.repeat(33_000) })).toBe('is 66011 bytes as JSON; at most 65536');
    expect(freeFormProblem({ text: 'e'.repeat(33_000) })).toBeUndefined();
  });
});

describe('identifiers', () => {
  it.each(['crm-42', 'ana@northwind.example', 'sf:00Q5e000001', 'a_b.c'])('takes %s', (id) => expect(identifier().parse(id)).toBe(id));
  it.each(['../../etc/passwd', 'lead 7', 'lead#1', 'jürgen', 'x'.repeat(129)])('refuses %s', (id) => expect(identifier().safeParse(id).success).toBe(false));
});
