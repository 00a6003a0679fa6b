// Message templates: Liquid files (sequences/templates in the shipped library), one file per part
// (`<id>.subject.liquid`, `<id>.html.liquid`, `<id>.text.liquid`, `<id>.title.liquid`), rendered
// with liquidjs (strict about filters, HTML-escaping output) inside the shared layouts `_layout.*`.
import fs from 'node:fs';
import path from 'node:path';
import { Liquid } from 'liquidjs';

const TEMPLATE_PARTS = ['subject', 'html', 'text', 'title'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

export type TemplateSet = Record<string, Partial<Record<TemplatePart, string>>>;

const LAYOUT_ID = '_layout';

/** Every template under `dir`, by id (its path without the part and extension). */
export function loadTemplates(dir: string): TemplateSet {
  const templates: TemplateSet = {};
  for (const file of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const match = /^(.+)\.(subject|html|text|title)\.liquid$/.exec(file.split(path.sep).join('/'));
    if (!match) continue;
    const [, id, part] = match as unknown as [string, string, TemplatePart];
    (templates[id] ??= {})[part] = fs.readFileSync(path.join(dir, file), 'utf8');
  }
  return templates;
}

export interface RenderVariables {
  lead: Record<string, unknown>;
  context?: Record<string, unknown>;
  links: { unsubscribe: string; optDown: string; offer?: string };
  sender: { name: string; company: string; address: string };
}

export class TemplateRenderer {
  /** HTML output is escaped; the layout inserts the rendered body with `{{ content | raw }}`. */
  private readonly html = new Liquid({ strictFilters: true, outputEscape: 'escape', cache: true });
  private readonly text = new Liquid({ strictFilters: true, cache: true });

  constructor(private readonly templates: TemplateSet) {}

  has(id: string): boolean {
    return Boolean(this.templates[id]);
  }

  renderEmail(id: string, variables: RenderVariables): { subject: string; html: string; text: string } {
    const subject = this.part(this.text, id, 'subject', variables).trim();
    const withBody = (content: string) => ({ ...variables, subject, content });
    const htmlBody = this.part(this.html, id, 'html', variables);
    const textBody = this.part(this.text, id, 'text', variables);
    const layout = this.templates[LAYOUT_ID] ?? {};
    return {
      subject,
      html: layout.html === undefined ? htmlBody : this.html.parseAndRenderSync(layout.html, withBody(htmlBody)),
      text: `${(layout.text === undefined ? textBody : this.text.parseAndRenderSync(layout.text, withBody(textBody))).trim()}\n`,
    };
  }

  renderText(id: string, variables: RenderVariables): { title?: string; text: string } {
    const title = this.templates[id]?.title === undefined ? undefined : this.part(this.text, id, 'title', variables).trim();
    return { title, text: this.part(this.text, id, 'text', variables).trim() };
  }

  private part(engine: Liquid, id: string, part: TemplatePart, variables: RenderVariables): string {
    const source = this.templates[id]?.[part];
    if (source === undefined) throw new Error(`template ${id} has no ${part} part`);
    return engine.parseAndRenderSync(source, variables);
  }
}

/** Every variable path a template part reads from its context (`lead.firstName`, `links.offer`). */
export function templateVariables(source: string): string[] {
  const analyser = new Liquid();
  return analyser.globalVariableSegmentsSync(source).map((segments) => segments.map(String).join('.'));
}
