// A lead's timeline entry in a few words, for `nurture lead <id>` and the marketers' lead page: what
// the lead did, or what the engine did and why (a touch's rule, tier, scores and caps).
type Detail = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function timelineSummary(kind: string, detail: Detail): string {
  switch (kind) {
    case 'event': {
      const category = (detail.properties as Detail | undefined)?.category;
      return `${text(detail.type)}${category ? ` (${text(category)})` : ''}`;
    }
    case 'touch':
      return `${text(detail.channel)} ${text(detail.status)}: ${text(detail.sequenceId)}/${text(detail.stepId)}${detail.variant ? ` (variant ${text(detail.variant)})` : ''}${detail.why ? `, because ${whyText(detail.why as Detail)}` : ''}${detail.error ? ` (${text(detail.error)})` : ''}`;
    case 'touchDeferred':
      return `${text(detail.channel)} at ${text(detail.sequenceId)}/${text(detail.stepId)} deferred until ${text(detail.until)}: ${[detail.reasons].flat().map(text).join(', ')}`;
    case 'touchSkipped':
    case 'touchCanceled':
      return `${text(detail.channel)} at ${text(detail.sequenceId)}/${text(detail.stepId)} ${kind === 'touchSkipped' ? 'skipped' : 'canceled'}: ${text(detail.reason)}`;
    case 'enterSequence':
    case 'exitSequence':
      return `${kind === 'enterSequence' ? 'entered' : 'left'} ${text(detail.sequenceId)} (${text(detail.version)}): ${text(detail.reason)}`;
    case 'exposed':
      return `variant ${text(detail.variant)} of ${text(detail.experimentId)}`;
    case 'stageChange':
      return `${text(detail.from)} → ${text(detail.to)} (${text(detail.reason)})`;
    case 'consent':
      return `${text(detail.channel)} ${detail.granted ? 'granted' : 'refused'} (${text(detail.source)})`;
    default:
      return '';
  }
}

/** Why a touch went out: the rule, the tier, the scores, and the caps as they stood. */
function whyText(why: Detail): string {
  const scores = why.scores as { fit?: number; intent?: number; total?: number } | undefined;
  const caps = (why.caps as { cap: string; used: number; limit: number }[] | undefined) ?? [];
  return [
    `rule ${text(why.rule)}`,
    `tier ${text(why.tier)}`,
    ...(scores ? [`score ${scores.total} (fit ${scores.fit}, intent ${scores.intent})`] : []),
    ...(caps.length ? [`caps ${caps.map((cap) => `${cap.cap} ${cap.used}/${cap.limit}`).join(', ')}`] : []),
  ].join('; ');
}
