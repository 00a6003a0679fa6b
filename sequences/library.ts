// The default sequence library and its entry rules: a new lead goes to the first sequence whose
// audience matches, in this order, by intent and source first, then by persona.
import path from 'node:path';
import { buildModel, type ModelInput } from '../core/model/tuning';
import type { Catalog } from '../core/protocol';
import { buildCatalog } from './catalog';
import { education } from './library/education';
import { eventFollowUp } from './library/eventFollowUp';
import { fastTrack } from './library/fastTrack';
import { longTermNurture } from './library/longTerm';
import { economicBuyer, endUser, itSecurity } from './library/personas';

/** Where the library's sequences and their message templates live. */
export const LIBRARY_DIR = path.join(__dirname, 'library');
export const TEMPLATES_DIR = path.join(__dirname, 'templates');

export const librarySequences = [fastTrack, eventFollowUp, itSecurity, economicBuyer, endUser, education, longTermNurture];

export function defaultCatalog(model: ModelInput = {}): Catalog {
  return buildCatalog({
    model: buildModel(model),
    sequences: librarySequences,
    routing: ['fast-track', 'event-follow-up', 'it-security', 'economic-buyer', 'end-user', 'education'],
    defaultSequence: 'education',
    longTermSequence: 'long-term-nurture',
  });
}
