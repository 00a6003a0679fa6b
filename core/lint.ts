// `nurture lint` rules over sequence definitions and their templates: dangling jumps, unreachable
// steps, unknown templates and fields, missing template parts, missing unsubscribe links, SMS
// timing outside legal hours. Pure: the caller hands in definitions and analysed templates.
import { conditionParts, type Condition } from './model/conditions';
import { durationMs } from './model/duration';
import { CONTENT_KINDS, PAGE_CATEGORIES, type Channel } from './model/events';
import { leadSchema } from './model/lead';
import { LEGAL_SMS_WINDOW, mergeCadence, type Model } from './model/tuning';
import { isTouchStep, touchChannel, variantChannel, type SequenceDefinition, type Step } from './model/sequence';
import { formatSendWindow, parseSendWindow, windowWithin } from './model/sendWindow';

export interface LintIssue {
  file: string;
  path: string;
  message: string;
}

/** A template as lint sees it: which parts exist and the variables each part reads. */
export interface AnalysedTemplate {
  files: Partial<Record<string, string>>;
  variables: Partial<Record<string, string[]>>;
}

export interface LintInput {
  sequences: { file: string; definition: SequenceDefinition }[];
  templates: Record<string, AnalysedTemplate>;
  /** The layout every email is wrapped in (template id `_layout`), if any. */
  layoutId?: string;
  model: Model;
  /** Where the deployment's model is written, for its issues (default sequences/model.ts). */
  modelFile?: string;
}

const REQUIRED_PARTS: Record<string, string[]> = { email: ['subject', 'html', 'text'], sms: ['text'], in_app: ['title', 'text'] };
const TEMPLATE_ROOTS = new Set(['lead', 'context', 'links', 'sender', 'subject', 'content']);
const LEAD_FIELDS = new Set(Object.keys(leadSchema.shape));
const EVENT_QUALIFIERS: Record<string, readonly string[]> = {
  page_view: PAGE_CATEGORIES,
  content_download: CONTENT_KINDS,
  product_action: ['key'],
  email_bounce: ['hard', 'soft'],
};

export function lint(input: LintInput): LintIssue[] {
  const issues: LintIssue[] = [];
  const ids = new Map<string, string>();
  for (const { file, definition } of input.sequences) {
    const report = (path: string, message: string) => issues.push({ file, path, message });
    const firstFile = ids.get(definition.id);
    if (firstFile) report('id', `sequence id ${JSON.stringify(definition.id)} is also defined in ${firstFile}`);
    ids.set(definition.id, file);
    lintSteps(definition, report);
    lintConditions(definition, report);
    lintTemplates(definition, input, report);
    lintPromotionRules(definition, report);
    lintCaps(definition, mergeCadence(input.model.cadence, definition.cadence), report);
    const smsWindow = mergeCadence(input.model.cadence, definition.cadence).windows.sms;
    if (definition.steps.some((step) => isTouchStep(step) && touchChannel(step) === 'sms') && !windowWithin(smsWindow, parseSendWindow(LEGAL_SMS_WINDOW))) {
      report('cadence.windows.sms', `SMS window ${formatSendWindow(smsWindow)} is not quiet-hour safe: it must stay inside ${LEGAL_SMS_WINDOW}`);
    }
  }
  const known = new Set(input.sequences.map((s) => s.definition.id));
  for (const { file, definition } of input.sequences) {
    if (definition.then && !known.has(definition.then)) issues.push({ file, path: 'then', message: `unknown sequence ${JSON.stringify(definition.then)}` });
  }
  lintModel(input.model, (path, message) => issues.push({ file: input.modelFile ?? 'sequences/model.ts', path, message }));
  return issues;
}

/** Opens this few or fewer reaching the MQL intent bar is qualifying on opens alone. */
const OPENS_ALONE = 5;

/** Thresholds no lead can reach, and intent that opens alone can earn (privacy proxies and scanners open every email). */
function lintModel(model: Model, report: (path: string, message: string) => void): void {
  const { fitPoints, icp, intentWeights } = model.scoring;
  const bestTitle = Math.max(0, ...icp.seniority.map((rule) => rule.points));
  const maxFit = Math.max(0, fitPoints.industry) + Math.max(0, fitPoints.companySize) + Math.max(0, fitPoints.country) + bestTitle;
  const { mql } = model.qualification;
  if (mql.fit > maxFit) report('qualification.mql.fit', `${mql.fit} can never be reached: the best-fitting lead scores ${maxFit} (industry, size, country and the best title)`);
  const open = intentWeights.email_open ?? 0;
  if (open > 0 && Math.ceil(mql.intent / open) <= OPENS_ALONE) {
    report(
      'scoring.intentWeights.email_open',
      `${Math.ceil(mql.intent / open)} email opens alone reach the MQL intent bar (${mql.intent}): privacy proxies and link scanners open every email, so weigh clicks and replies instead`,
    );
  }
}

/** A sequence that, by its own waits, sends more in a cap's window than the cap allows: those steps always wait for the cap. */
function lintCaps(definition: SequenceDefinition, cadence: Model['cadence'], report: (path: string, message: string) => void): void {
  // The touches along the straight path (waits taken at face value, a waitFor as soon as it may end).
  const touches: { at: number; channel: string }[] = [];
  let at = 0;
  for (const step of definition.steps) {
    if (step.kind === 'wait') at += durationMs(step.duration);
    else if (isTouchStep(step) && step.kind !== 'webhook') touches.push({ at, channel: touchChannel(step) });
  }
  for (const [cap, { limit, window }] of Object.entries(cadence.caps)) {
    const counted = touches.filter((touch) => cap === 'all' || touch.channel === cap).map((touch) => touch.at);
    const most = Math.max(0, ...counted.map((start) => counted.filter((t) => t >= start && t < start + durationMs(window)).length));
    if (most > limit) {
      report(`cadence.caps.${cap}`, `the sequence sends ${most} ${cap === 'all' ? 'touches' : `${cap} touches`} within ${window} by its own waits, and the cap allows ${limit}: ${most - limit} of them always wait for the cap`);
    }
  }
}

function lintSteps(definition: SequenceDefinition, report: (path: string, message: string) => void): void {
  const index = new Map<string, number>();
  definition.steps.forEach((step, i) => {
    if (index.has(step.id)) report(`steps.${i}.id`, `step id ${JSON.stringify(step.id)} is used twice`);
    else index.set(step.id, i);
  });
  const targets = (step: Step, i: number): { path: string; id?: string; next?: number }[] => {
    switch (step.kind) {
      case 'exit':
        return [];
      case 'branch':
        return [{ path: `steps.${i}.then`, id: step.then }, step.else ? { path: `steps.${i}.else`, id: step.else } : { path: '', next: i + 1 }];
      case 'waitFor':
        return [{ path: '', next: i + 1 }, ...(step.onTimeout ? [{ path: `steps.${i}.onTimeout`, id: step.onTimeout }] : [])];
      default:
        return [{ path: '', next: i + 1 }];
    }
  };
  // Reachability from the first step, following every jump.
  const reached = new Set<number>();
  const queue = [0];
  while (queue.length) {
    const i = queue.pop()!;
    if (reached.has(i) || i >= definition.steps.length) continue;
    reached.add(i);
    for (const target of targets(definition.steps[i]!, i)) {
      if (target.id === undefined) queue.push(target.next!);
      else if (index.has(target.id)) queue.push(index.get(target.id)!);
      else report(target.path, `unknown step ${JSON.stringify(target.id)}`);
    }
  }
  definition.steps.forEach((step, i) => {
    if (!reached.has(i)) report(`steps.${i}`, `step ${JSON.stringify(step.id)} is unreachable`);
  });
}

function lintConditions(definition: SequenceDefinition, report: (path: string, message: string) => void): void {
  const conditions: [string, Condition][] = [
    ['audience', definition.audience],
    ...definition.exitWhen.map((c, i): [string, Condition] => [`exitWhen.${i}`, c]),
    ...definition.steps.flatMap((step, i): [string, Condition][] =>
      step.kind === 'branch' ? [[`steps.${i}.if`, step.if]] : step.kind === 'waitFor' ? [[`steps.${i}.until`, step.until]] : [],
    ),
  ];
  for (const [path, condition] of conditions) {
    for (const matcher of conditionParts(condition).events) {
      const [type, qualifier] = matcher.split(':') as [string, string | undefined];
      if (qualifier !== undefined && !EVENT_QUALIFIERS[type]?.includes(qualifier)) report(path, `unknown event ${JSON.stringify(matcher)}`);
    }
  }
}

/** A rule that waits on opens where none can be seen never promotes anything. */
function lintPromotionRules(definition: SequenceDefinition, report: (path: string, message: string) => void): void {
  definition.steps.forEach((step, i) => {
    if (!('promote' in step) || step.promote?.metric !== 'opened' || !isTouchStep(step)) return;
    const arms = [touchChannel(step), ...(step.variants ?? []).flatMap((variant) => ('channel' in variant && variant.channel ? [variantChannel(variant.channel)] : []))];
    if (arms.some((channel) => channel !== 'email')) report(`steps.${i}.promote.metric`, 'opens are seen only for email: an arm on another channel never counts one; promote on clicked, replied or a conversion');
  });
}

function lintTemplates(definition: SequenceDefinition, input: LintInput, report: (path: string, message: string) => void): void {
  const layout = input.layoutId ? input.templates[input.layoutId] : undefined;
  definition.steps.forEach((step, i) => {
    if (!isTouchStep(step) || step.kind === 'webhook') return;
    // The step's template, and each variant's of an experiment, on the channel it is sent on.
    const sent: [string, string, Channel][] = [[`steps.${i}.template`, step.template, touchChannel(step)]];
    step.variants?.forEach((variant, j) => variant.template && sent.push([`steps.${i}.variants.${j}.template`, variant.template, variant.channel ? variantChannel(variant.channel) : touchChannel(step)]));
    for (const [path, id, channel] of sent) {
      const template = input.templates[id];
      if (!template) {
        report(path, `unknown template ${JSON.stringify(id)}`);
        continue;
      }
      for (const part of REQUIRED_PARTS[channel] ?? []) {
        if (!template.files[part]) report(path, `template ${id} has no ${part} part (${id}.${part}.liquid)`);
      }
      if (channel === 'email') {
        for (const part of ['html', 'text']) {
          const reads = [...(template.variables[part] ?? []), ...(layout?.variables[part] ?? [])];
          if (template.files[part] && !reads.includes('links.unsubscribe')) {
            report(path, `${template.files[part]}: email has no unsubscribe link ({{ links.unsubscribe }}) in its ${part} part or layout`);
          }
        }
      }
      if (step.kind === 'offer' && !Object.values(template.variables).some((vars) => vars?.includes('links.offer'))) {
        report(path, `offer template ${id} never links to the offer ({{ links.offer }})`);
      }
      for (const [part, variables] of Object.entries(template.variables)) {
        for (const variable of variables ?? []) {
          const [root, field] = variable.split('.');
          if (!TEMPLATE_ROOTS.has(root!)) report(path, `${template.files[part]}: unknown variable ${variable}`);
          else if (root === 'lead' && field && !LEAD_FIELDS.has(field)) report(path, `${template.files[part]}: unknown lead field ${field}`);
        }
      }
    }
  });
}
