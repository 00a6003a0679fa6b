// Where the project keeps provisioned tools and runtime data, relative to the repository root.
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..');
export const toolsDir = path.join(projectRoot, '.tools');
export const dataDir = path.join(projectRoot, '.data');
