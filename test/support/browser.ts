// A real Chromium for page tests, provisioned from the npm registry: @sparticuz/chromium carries the
// binary (unpacked under the temp folder on first use) and playwright-core drives it. The package is
// ESM-only, so a plain node process resolves where the binary is and the flags it wants.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

const LOCATE = "import('@sparticuz/chromium').then(async ({ default: c }) => console.log(JSON.stringify({ path: await c.executablePath(), args: c.args })))";

/**
 * The package's flags suit a serverless sandbox; these do not suit tests: one process dies with its
 * first closed context, and switched-off web security would hide what a real browser refuses.
 */
const LAMBDA_ONLY = ['--single-process', '--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--disable-features=AudioServiceOutOfProcess,IsolateOrigins'];

export async function launchChromium(): Promise<Browser> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', LOCATE]);
  const { path, args } = JSON.parse(stdout) as { path: string; args: string[] };
  return chromium.launch({ executablePath: path, args: args.filter((arg) => !LAMBDA_ONLY.some((flag) => arg.startsWith(flag))), headless: true });
}

/** What the page logged as errors and threw, for a test to assert there were none. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}
