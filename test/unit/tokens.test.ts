import { signToken, verifyToken, type LinkToken } from '../../channels/tokens';

const token: LinkToken = { kind: 'click', send: 'lead-42/fast-track@abc/pricing-guide/2', leadId: '42', channel: 'email', link: 0 };

describe('signed link tokens', () => {
  it('verify with the secret they were signed with', () => {
    expect(verifyToken(signToken(token, 's3cret'), 's3cret')).toEqual(token);
  });

  it('are refused when signed with another secret', () => {
    expect(verifyToken(signToken(token, 'other'), 's3cret')).toBeUndefined();
  });

  it('are refused when the payload is altered, e.g. to point a click at another link', () => {
    const [, signature] = signToken(token, 's3cret').split('.');
    const forged = Buffer.from(JSON.stringify({ ...token, link: 7 })).toString('base64url');
    expect(verifyToken(`${forged}.${signature}`, 's3cret')).toBeUndefined();
  });

  it.each(['', 'abc', 'a.b.c', '.', 'not-base64.!!'])('are refused when malformed: %j', (text) => {
    expect(verifyToken(text, 's3cret')).toBeUndefined();
  });
});
