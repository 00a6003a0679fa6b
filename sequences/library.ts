// The default sequence library and its entry rules: a new lead goes to the first sequence whose
// audience matches, in this order, by intent and source first, then by persona.
import path from 'node:path';
import { buildModel, type ModelInput } from '../core/model/tuning';
import type { Catalog } from '../core/protocol';
import { applyPromotions } from '../core/model/experiments';
import { buildCatalog } from './catalog';
import { promotions } from './promotions';
import { deploymentModel } from './model';
import { education } from './library/education';
import { eventFollowUp } from './library/eventFollowUp';
import { fastTrack } from './library/fastTrack';
import { longTermNurture } from './library/longTerm';
import { economicBuyer, endUser, itSecurity } from './library/personas';

/** Where the library's sequences and their message templates live. */
export const LIBRARY_DIR = path.join(__dirname, 'library');
export const TEMPLATES_DIR = path.join(__dirname, 'templates');

/** The library's sequences, each promoted variant of an A/B test made its step (sequences/promotions.ts). */
export const librarySequences = applyPromotions([fastTrack, eventFollowUp, itSecurity, economicBuyer, endUser, education, longTermNurture], promotions);
/** Where `nurture experiments promote` records a winner. */
export const PROMOTIONS_FILE = path.join(__dirname, 'promotions.ts');

/** The library with the deployment's model (sequences/model.ts), changed where `overrides` says (send windows from the environment, a test's holdout). */
export function defaultCatalog(overrides: ModelInput = {}): Catalog {
  const base = deploymentModel;
  const cadence = { ...base.cadence, ...overrides.cadence, caps: { ...base.cadence?.caps, ...overrides.cadence?.caps }, windows: { ...base.cadence?.windows, ...overrides.cadence?.windows } };
  return buildCatalog({
    model: buildModel({ ...base, ...overrides, scoring: { ...base.scoring, ...overrides.scoring }, qualification: { ...base.qualification, ...overrides.qualification }, cadence }),
    sequences: librarySequences,
    routing: ['fast-track', 'event-follow-up', 'it-security', 'economic-buyer', 'end-user', 'education'],
    defaultSequence: 'education',
    longTermSequence: 'long-term-nurture',
  });
}
