// The funnel a lead moves through, and the side exits.
export const STAGES = ['lead', 'mql', 'sql', 'opportunity', 'customer', 'recycled', 'disqualified', 'unsubscribed'] as const;
export type Stage = (typeof STAGES)[number];

/** Stages in which marketing still nurtures the lead and may hand it to sales. */
export const NURTURE_STAGES: readonly Stage[] = ['lead', 'mql', 'recycled'];

export const TIERS = ['active', 'cooling', 'dormant'] as const;
export type Tier = (typeof TIERS)[number];
