// Gathers what `nurture lint` checks: every sequence module under sequences/library and every
// template under sequences/templates, analysed and handed to the pure rules in core/lint.ts.
import fs from 'node:fs';
import path from 'node:path';
import { lint, type AnalysedTemplate, type LintIssue } from '../core/lint';
import { ZodError } from 'zod';
import { buildModel, defaultModel, type Model } from '../core/model/tuning';
import { deploymentModel } from '../sequences/model';
import type { SequenceDefinition } from '../core/model/sequence';
import { SequenceDefinitionError } from '../sequences/dsl';
import { loadTemplates, templateVariables } from '../channels/templates';
import { LIBRARY_DIR, TEMPLATES_DIR } from '../sequences/library';

export interface LintPaths {
  libraryDir?: string;
  templatesDir?: string;
  /** File names in messages are relative to this. */
  root?: string;
}

const MODEL_FILE = path.join(__dirname, '../sequences/model.ts');

/** `nurture lint`: the deployment's model (sequences/model.ts) and the library, checked together. */
export function lintDeployment(paths: LintPaths = {}): LintIssue[] {
  const file = path.relative(paths.root ?? process.cwd(), MODEL_FILE);
  try {
    return lintProject(buildModel(deploymentModel), paths, file);
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    // A model that does not parse is reported field by field; the sequences are linted with the defaults.
    return [...err.issues.map((issue) => ({ file, path: issue.path.join('.'), message: issue.message })), ...lintProject(defaultModel, paths, file)];
  }
}

export function lintProject(model: Model, paths: LintPaths = {}, modelFile?: string): LintIssue[] {
  const libraryDir = paths.libraryDir ?? LIBRARY_DIR;
  const templatesDir = paths.templatesDir ?? TEMPLATES_DIR;
  const relative = (file: string) => path.relative(paths.root ?? process.cwd(), file);
  const issues: LintIssue[] = [];
  const sequences: { file: string; definition: SequenceDefinition }[] = [];

  for (const name of fs.readdirSync(libraryDir).filter((n) => /\.[cm]?[jt]s$/.test(n)).sort()) {
    const file = path.join(libraryDir, name);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      for (const value of Object.values(require(file) as Record<string, unknown>)) {
        if (isDefinition(value)) sequences.push({ file: relative(file), definition: value });
      }
    } catch (err) {
      if (err instanceof SequenceDefinitionError) {
        issues.push(...err.issues.map((issue) => ({ file: relative(file), path: `${err.sequenceId}.${issue.path}`, message: issue.message })));
      } else {
        issues.push({ file: relative(file), path: '(load)', message: (err as Error).message });
      }
    }
  }

  const templates: Record<string, AnalysedTemplate> = {};
  for (const [id, parts] of Object.entries(loadTemplates(templatesDir))) {
    const analysed: AnalysedTemplate = { files: {}, variables: {} };
    for (const [part, source] of Object.entries(parts)) {
      const file = relative(path.join(templatesDir, `${id}.${part}.liquid`));
      analysed.files[part] = file;
      try {
        analysed.variables[part] = templateVariables(source);
      } catch (err) {
        issues.push({ file, path: '(parse)', message: (err as Error).message.split('\n')[0]! });
        analysed.variables[part] = [];
      }
    }
    templates[id] = analysed;
  }
  return [...issues, ...lint({ sequences, templates, layoutId: '_layout', model, ...(modelFile ? { modelFile } : {}) })];
}

function isDefinition(value: unknown): value is SequenceDefinition {
  return typeof value === 'object' && value !== null && 'steps' in value && 'audience' in value && 'id' in value;
}
