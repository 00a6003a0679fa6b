#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx nurture` works without a build step.
require('tsx/cjs');
require('./main.ts');
