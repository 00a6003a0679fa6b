import { loadTemplates, TemplateRenderer, type RenderVariables } from '../../channels/templates';
import { TEMPLATES_DIR } from '../../sequences/library';

const variables = (lead: Record<string, unknown>): RenderVariables => ({
  lead,
  context: { lastDownload: { assetId: 'handoff-guide', kind: 'guide' } },
  links: { unsubscribe: 'https://nurture.example/u/tok-1', optDown: 'https://nurture.example/u/tok-1?fewer=1', offer: 'https://nurture.example/t/c/tok-2' },
  sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
});

describe('message templates', () => {
  const renderer = new TemplateRenderer(loadTemplates(TEMPLATES_DIR));

  it('renders an email inside the layout, with the unsubscribe and fewer-emails links in both parts', () => {
    const email = renderer.renderEmail('education/thanks', variables({ firstName: 'Ada' }));
    expect(email.subject).toBe('Thanks for downloading handoff-guide');
    for (const body of [email.html, email.text]) {
      expect(body).toContain('Hi Ada,');
      expect(body).toContain('https://nurture.example/u/tok-1');
      expect(body).toContain('https://nurture.example/u/tok-1?fewer=1');
      expect(body).toContain('Sam Lee');
    }
    expect(email.html).toMatch(/^<!doctype html>/);
    expect(email.text).not.toContain('<p>');
  });

  it('escapes lead fields in HTML but not in plain text', () => {
    const email = renderer.renderEmail('education/thanks', variables({ firstName: '<script>alert(1)</script>' }));
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.text).toContain('Hi <script>alert(1)</script>,');
  });

  it('falls back to a greeting without a name, and links the offer of a middle-offer email', () => {
    const email = renderer.renderEmail('fast-track/pricing-guide', variables({}));
    expect(email.text).toContain('Hi there,');
    expect(email.html).toContain('href="https://nurture.example/t/c/tok-2"');
    expect(email.subject).toBe('The pricing guide: what a team like yours would pay');
  });

  it('renders an in-app message with its title', () => {
    expect(renderer.renderText('end-user/tip', variables({}))).toEqual({
      title: 'Tip: let the hand-off chase itself',
      text: expect.stringContaining('Settings → Escalations'),
    });
  });

  it('names the template and part that is missing', () => {
    expect(() => renderer.renderEmail('end-user/tip', variables({}))).toThrow('template end-user/tip has no subject part');
    expect(renderer.has('nope/nothing')).toBe(false);
  });
});
