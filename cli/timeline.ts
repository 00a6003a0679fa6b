// `nurture lead <id>`: the lead's timeline, one line per entry, oldest first: what the lead did, what
// the engine decided and why, what was sent (or held back, and why), stage, consent and handoffs.
import { z } from 'zod';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';

const page = z.object({ items: z.array(z.object({ at: z.string(), kind: z.string(), detail: z.record(z.string(), z.unknown()) })), nextOffset: z.number().nullable() });
type Entry = z.infer<typeof page>['items'][number];

/** What an entry says in a few words; the rest of its detail follows as JSON. */
function summary({ kind, detail }: Entry): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  switch (kind) {
    case 'event':
      return `${text(detail.type)}`;
    case 'touch':
      return `${text(detail.channel)} ${text(detail.status)}: ${text(detail.sequenceId)}/${text(detail.stepId)}${detail.variant ? ` (variant ${text(detail.variant)})` : ''}`;
    case 'stageChange':
      return `${text(detail.from)} → ${text(detail.to)} (${text(detail.reason)})`;
    case 'consent':
      return `${text(detail.channel)} ${detail.granted ? 'granted' : 'refused'} (${text(detail.source)})`;
    default:
      return '';
  }
}

export async function timelineLines(leadId: string, target: ApiTarget, env: Record<string, string | undefined> = process.env): Promise<string[]> {
  const resolved = resolveApiTarget(target, env);
  const lines: string[] = [];
  for (let offset: number | null = 0; offset !== null; ) {
    const { items, nextOffset }: z.infer<typeof page> = await callApi(resolved, 'GET', `/v1/leads/${encodeURIComponent(leadId)}/timeline?limit=1000&offset=${offset}`, page);
    for (const entry of items) lines.push([entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), entry.kind.padEnd(14), summary(entry), JSON.stringify(entry.detail)].join('  '));
    offset = nextOffset;
  }
  return lines;
}
