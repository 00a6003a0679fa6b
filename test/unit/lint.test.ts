import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluate } from '../../core/model/conditions';
import { createLead, step } from '../../core/engine';
import { lint, type AnalysedTemplate, type LintInput, type LintIssue } from '../../core/lint';
import { buildModel, defaultModel } from '../../core/model/tuning';
import type { SequenceDefinition } from '../../core/model/sequence';
import { branch, defineSequence, did, email, exit, inApp, offer, sms, wait, waitFor, type SequenceDraft } from '../../sequences/dsl';
import { defaultCatalog } from '../../sequences/library';
import { lintDeployment, lintProject } from '../../app/lint';
import { at, makeEvent, makeLead } from '../support/engineDriver';

const emailTemplate = (id: string, variables: Partial<Record<'subject' | 'html' | 'text', string[]>> = {}): AnalysedTemplate => ({
  files: { subject: `${id}.subject.liquid`, html: `${id}.html.liquid`, text: `${id}.text.liquid` },
  variables: { subject: [], html: ['links.unsubscribe'], text: ['links.unsubscribe'], ...variables },
});

const templates: Record<string, AnalysedTemplate> = {
  'ops/welcome': emailTemplate('ops/welcome', { subject: ['lead.firstName'] }),
  'ops/follow-up': emailTemplate('ops/follow-up'),
  'ops/guide': emailTemplate('ops/guide', { html: ['links.unsubscribe', 'links.offer'] }),
  'ops/text': { files: { text: 'ops/text.text.liquid' }, variables: { text: ['lead.firstName'] } },
  'ops/tip': { files: { title: 'ops/tip.title.liquid', text: 'ops/tip.text.liquid' }, variables: { title: [], text: [] } },
};

const sequence = (overrides: Partial<SequenceDraft> = {}): SequenceDefinition =>
  defineSequence({
    id: 'ops',
    name: 'Ops',
    audience: did('page_view:pricing', { within: '7d' }),
    exitWhen: [did('meeting_booked')],
    steps: [email('welcome', 'ops/welcome'), wait('2d'), email('follow-up', 'ops/follow-up'), wait('2d'), offer('guide', 'guide', 'ops/guide')],
    ...overrides,
  });

const lintOne = (definition: SequenceDefinition, extra: Partial<LintInput> = {}): LintIssue[] =>
  lint({ sequences: [{ file: 'sequences/library/ops.ts', definition }], templates, model: defaultModel, ...extra });

describe('lint of the shipped library', () => {
  it('finds nothing wrong with the model, sequences and templates that ship', () => {
    expect(lintDeployment()).toEqual([]);
  });
});

describe('lint of the model', () => {
  const modelIssue = (path: string, message: string) => ({ file: 'sequences/model.ts', path, message });

  it('reports an MQL fit bar no lead can reach', () => {
    // The best fit: industry 15 + size 15 + country 5 + the best title 20.
    const model = buildModel({ qualification: { mql: { fit: 56, intent: 10, total: 40 } } });
    expect(lintOne(sequence(), { model })).toEqual([modelIssue('qualification.mql.fit', '56 can never be reached: the best-fitting lead scores 55 (industry, size, country and the best title)')]);
    expect(lintOne(sequence(), { model: buildModel({ qualification: { mql: { fit: 55, intent: 10, total: 40 } } }) })).toEqual([]);
  });

  it('reports intent that email opens alone can earn', () => {
    const model = buildModel({ scoring: { intentWeights: { ...defaultModel.scoring.intentWeights, email_open: 3 } } });
    expect(lintOne(sequence(), { model })).toEqual([
      modelIssue('scoring.intentWeights.email_open', '4 email opens alone reach the MQL intent bar (10): privacy proxies and link scanners open every email, so weigh clicks and replies instead'),
    ]);
  });

  it('reports a sequence that sends more within a cap’s window than the cap allows', () => {
    const daily = sequence({ steps: [email('one', 'ops/welcome'), wait('1d'), email('two', 'ops/follow-up'), wait('1d'), email('three', 'ops/follow-up'), wait('1d'), email('four', 'ops/follow-up')] });
    expect(lintOne(daily)).toEqual([
      { file: 'sequences/library/ops.ts', path: 'cadence.caps.email', message: 'the sequence sends 4 email touches within 7d by its own waits, and the cap allows 3: 1 of them always wait for the cap' },
    ]);
    // A week between the third and fourth: within the cap.
    const weekly = sequence({ steps: [email('one', 'ops/welcome'), wait('1d'), email('two', 'ops/follow-up'), wait('1d'), email('three', 'ops/follow-up'), wait('7d'), email('four', 'ops/follow-up')] });
    expect(lintOne(weekly)).toEqual([]);
  });
});

describe('lint rules', () => {
  it('passes a well-formed sequence (the baseline every other case breaks in one place)', () => {
    expect(lintOne(sequence())).toEqual([]);
  });

  it('reports a template that does not exist', () => {
    expect(lintOne(sequence({ steps: [email('welcome', 'ops/missing')] }))).toEqual([
      { file: 'sequences/library/ops.ts', path: 'steps.0.template', message: 'unknown template "ops/missing"' },
    ]);
  });

  it("reports an experiment variant's template that does not exist, by the variant's path", () => {
    const step = { ...email('welcome', 'ops/welcome'), variants: [{ id: 'control', weight: 50 }, { id: 'short', weight: 50, template: 'ops/short' }] };
    expect(lintOne(sequence({ steps: [step] }))).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.0.variants.1.template', message: 'unknown template "ops/short"' }]);
  });

  it("checks a channel variant's template against its own channel, and a rule on opens an SMS arm can never count", () => {
    // ops/text has a text part alone: enough for a text message, not for an in-app message (a title) or an email.
    const step = { ...email('welcome', 'ops/welcome'), variants: [{ id: 'control', weight: 50 }, { id: 'app', weight: 50, channel: 'inApp' as const, template: 'ops/text' }] };
    expect(lintOne(sequence({ steps: [step] }))).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.0.variants.1.template', message: 'template ops/text has no title part (ops/text.title.liquid)' }]);
    const onOpens = { ...step, variants: [step.variants[0]!, { id: 'text', weight: 50, channel: 'sms' as const, template: 'ops/text' }], promote: { metric: 'opened' as const, minExposures: 100, confidence: 0.95, windowDays: 30 } };
    expect(lintOne(sequence({ steps: [onOpens] }))).toEqual([
      { file: 'sequences/library/ops.ts', path: 'steps.0.promote.metric', message: 'opens are seen only for email: an arm on another channel never counts one; promote on clicked, replied or a conversion' },
    ]);
  });

  it('reports a template that lacks a part its channel needs', () => {
    const { text: _text, ...noText } = templates['ops/welcome']!.files;
    const issues = lintOne(sequence({ steps: [email('welcome', 'ops/welcome')] }), {
      templates: { ...templates, 'ops/welcome': { files: noText, variables: { subject: [], html: ['links.unsubscribe'] } } },
    });
    expect(issues).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.0.template', message: 'template ops/welcome has no text part (ops/welcome.text.liquid)' }]);
  });

  it('reports an SMS template without its text and an in-app one without its title', () => {
    const withTitleOnly = { ...templates, 'ops/title-only': { files: { title: 'ops/title-only.title.liquid' }, variables: { title: [] } } };
    const issues = lintOne(sequence({ steps: [sms('text', 'ops/title-only'), wait('1d'), inApp('tip', 'ops/text'), wait('1d'), inApp('fine', 'ops/tip')] }), { templates: withTitleOnly });
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['steps.0.template', 'template ops/title-only has no text part (ops/title-only.text.liquid)'],
      ['steps.2.template', 'template ops/text has no title part (ops/text.title.liquid)'],
    ]);
  });

  it('reports an email with no unsubscribe link in a part, unless the layout has one', () => {
    const bare = { ...templates, 'ops/welcome': emailTemplate('ops/welcome', { html: [] }) };
    const issues = lintOne(sequence({ steps: [email('welcome', 'ops/welcome')] }), { templates: bare });
    expect(issues).toEqual([
      {
        file: 'sequences/library/ops.ts',
        path: 'steps.0.template',
        message: 'ops/welcome.html.liquid: email has no unsubscribe link ({{ links.unsubscribe }}) in its html part or layout',
      },
    ]);
    const withLayout = { ...bare, _layout: { files: { html: '_layout.html.liquid' }, variables: { html: ['content', 'links.unsubscribe'] } } };
    expect(lintOne(sequence({ steps: [email('welcome', 'ops/welcome')] }), { templates: withLayout, layoutId: '_layout' })).toEqual([]);
  });

  it('reports an offer whose template never links to the offer', () => {
    const issues = lintOne(sequence({ steps: [offer('guide', 'guide', 'ops/follow-up')] }));
    expect(issues).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.0.template', message: 'offer template ops/follow-up never links to the offer ({{ links.offer }})' }]);
  });

  it('reports unknown template variables and unknown lead fields', () => {
    const odd = { ...templates, 'ops/welcome': emailTemplate('ops/welcome', { subject: ['lead.nickname', 'weather.today'] }) };
    expect(lintOne(sequence({ steps: [email('welcome', 'ops/welcome')] }), { templates: odd }).map((i) => i.message)).toEqual([
      'ops/welcome.subject.liquid: unknown lead field nickname',
      'ops/welcome.subject.liquid: unknown variable weather.today',
    ]);
  });

  it('reports a step no path from the first step reaches', () => {
    const issues = lintOne(sequence({ steps: [email('welcome', 'ops/welcome'), exit('stop', 'done'), email('follow-up', 'ops/follow-up')] }));
    expect(issues).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.2', message: 'step "follow-up" is unreachable' }]);
  });

  it('reports a branch, else or timeout that jumps to a step that does not exist', () => {
    const issues = lintOne(
      sequence({
        steps: [
          email('welcome', 'ops/welcome'),
          branch('hot', did('email_click'), { then: 'nowhere', else: 'follow-up' }),
          email('follow-up', 'ops/follow-up'),
          waitFor('guide', did('content_download:guide', { since: 'step' }), { timeout: '3d', onTimeout: 'gone' }),
          branch('cold', did('email_open'), { then: 'follow-up', else: 'missing' }),
        ],
      }),
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual(
      expect.arrayContaining([
        ['steps.1.then', 'unknown step "nowhere"'],
        ['steps.3.onTimeout', 'unknown step "gone"'],
        ['steps.4.else', 'unknown step "missing"'],
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('reports an event qualifier outside the taxonomy wherever a condition is used', () => {
    const issues = lintOne(
      sequence({
        audience: did('page_view:prices'),
        exitWhen: [did('content_download:ebook')],
        steps: [email('welcome', 'ops/welcome'), branch('hot', did('product_action:major'), { then: 'welcome' })],
      }),
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['audience', 'unknown event "page_view:prices"'],
      ['exitWhen.0', 'unknown event "content_download:ebook"'],
      ['steps.1.if', 'unknown event "product_action:major"'],
    ]);
  });

  it('accepts every qualifier the taxonomy defines', () => {
    const known = ['page_view:security', 'content_download:roi_calculator', 'product_action:key', 'email_click'];
    expect(lintOne(sequence({ audience: { any: known.map((event) => did(event)) } }))).toEqual([]);
  });

  // Lint vouches that an event matcher can match; the engine counts events under eventKey(), which
  // keys every bounce as plain 'email_bounce'. A condition on 'email_bounce:hard' passes lint and
  // then never holds, even right after a hard bounce.
  it('only accepts event qualifiers the engine can match (email_bounce:hard after a hard bounce)', () => {
    const bounced = sequence({ exitWhen: [did('email_bounce:hard')] });
    const accepted = lintOne(bounced).length === 0;
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    const now = at('2025-03-03T10:00:00Z');
    const { state } = createLead(makeLead({ id: 'bounce-lint' }), now, catalog);
    const after = step(state, { kind: 'event', event: makeEvent('email_bounce', now, { hard: true }) }, now, catalog).state;
    const matches = evaluate(did('email_bounce:hard'), { now, aggregates: after.aggregates, scores: { fit: 0, intent: 0, total: 0 }, stage: after.stage, tier: after.cadence.tier, profile: {} });
    expect({ accepted, matches }).not.toEqual({ accepted: true, matches: false });
  });

  it('reports a sequence SMS window wider than the legal 08:00-21:00', () => {
    const loud = sequence({ cadence: { windows: { sms: '07:00-22:00,mon-sun' } }, steps: [sms('text', 'ops/text')] });
    const issues = lintOne(loud);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'sequences/library/ops.ts', path: 'cadence.windows.sms' });
    expect(issues[0]!.message).toMatch(/07:00-22:00.*not quiet-hour safe.*08:00-21:00/);
  });

  it('accepts an SMS window inside legal hours, and a wide one in a sequence that sends no SMS', () => {
    expect(lintOne(sequence({ cadence: { windows: { sms: '08:00-21:00,mon-sun' } }, steps: [sms('text', 'ops/text')] }))).toEqual([]);
    expect(lintOne(sequence({ cadence: { windows: { sms: '00:00-24:00' } } }))).toEqual([]);
  });

  it("checks SMS steps against the deployment's window when the sequence sets none", () => {
    const model = buildModel({ cadence: { windows: { sms: '06:00-23:00' } } });
    expect(lintOne(sequence({ steps: [sms('text', 'ops/text')] }), { model }).map((i) => i.path)).toEqual(['cadence.windows.sms']);
  });

  it('reports a step id used twice', () => {
    const issues = lintOne(sequence({ steps: [email('welcome', 'ops/welcome'), wait('1d', 'pause'), email('welcome', 'ops/follow-up')] }));
    expect(issues).toEqual([{ file: 'sequences/library/ops.ts', path: 'steps.2.id', message: 'step id "welcome" is used twice' }]);
  });

  it('reports a sequence id defined in two files, and a then that names no sequence', () => {
    const issues = lint({
      sequences: [
        { file: 'a.ts', definition: sequence({ then: 'nurture-2' }) },
        { file: 'b.ts', definition: sequence() },
      ],
      templates,
      model: defaultModel,
    });
    expect(issues).toEqual([
      { file: 'b.ts', path: 'id', message: 'sequence id "ops" is also defined in a.ts' },
      { file: 'a.ts', path: 'then', message: 'unknown sequence "nurture-2"' },
    ]);
  });
});

describe('lint of a project on disk', () => {
  let root: string;
  const dsl = path.resolve(__dirname, '../../sequences/dsl');

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-lint-'));
    fs.mkdirSync(path.join(root, 'library'));
    fs.mkdirSync(path.join(root, 'templates', 'ops'), { recursive: true });
    const part = (name: string, text: string) => fs.writeFileSync(path.join(root, 'templates', 'ops', name), text);
    part('welcome.subject.liquid', 'Hello {{ lead.firstName }}');
    part('welcome.html.liquid', '<p>Hi</p><a href="{{ links.unsubscribe }}">Unsubscribe</a>');
    part('welcome.text.liquid', 'Hi\nUnsubscribe: {{ links.unsubscribe }}');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const module = (name: string, body: string) => fs.writeFileSync(path.join(root, 'library', name), `import { defineSequence, email } from ${JSON.stringify(dsl)};\n${body}\n`);
  const lines = (issues: LintIssue[]) => issues.map((i) => `${i.file}: ${i.path}: ${i.message}`);

  it('lints a valid module and its templates clean', () => {
    module('good.ts', `export const good = defineSequence({ id: 'good', name: 'Good', audience: { stage: ['lead'] }, steps: [email('welcome', 'ops/welcome')] });`);
    expect(lintProject(defaultModel, { libraryDir: path.join(root, 'library'), templatesDir: path.join(root, 'templates'), root })).toEqual([]);
  });

  it('reports a sequence module that fails validation as file: path: message', () => {
    module('bad.ts', `export const bad = defineSequence({ id: 'bad-one', name: 'Bad', audience: { stage: ['lead'] }, steps: [email('Hello World', 'ops/welcome')] });`);
    const issues = lintProject(defaultModel, { libraryDir: path.join(root, 'library'), templatesDir: path.join(root, 'templates'), root });
    expect(lines(issues)).toEqual([`${path.join('library', 'bad.ts')}: bad-one.steps.0.id: must be lower-case letters, digits, - or _ (at most 64)`]);
  });

  it('reports a module that fails to load, and a template that does not parse', () => {
    fs.writeFileSync(path.join(root, 'library', 'broken.ts'), `throw new Error('cannot load');\n`);
    fs.writeFileSync(path.join(root, 'templates', 'ops', 'welcome.text.liquid'), 'Hi {% if lead.firstName %} no end');
    const issues = lintProject(defaultModel, { libraryDir: path.join(root, 'library'), templatesDir: path.join(root, 'templates'), root });
    expect(issues).toEqual(
      expect.arrayContaining([
        { file: path.join('library', 'broken.ts'), path: '(load)', message: 'cannot load' },
        expect.objectContaining({ file: path.join('templates', 'ops', 'welcome.text.liquid'), path: '(parse)' }),
      ]),
    );
  });
});
