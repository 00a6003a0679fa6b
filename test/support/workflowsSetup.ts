// Provisions the time-skipping test server once per run (Maven fetch on a fresh machine) and hands
// its path to the test files, which each start their own environment from it.
import { resolveTestServer } from '../../scripts/tools';

export default async function globalSetup(): Promise<void> {
  const executable = await resolveTestServer();
  if (executable.type === 'existing-path') process.env.TEMPORAL_TEST_SERVER_PATH = executable.path;
}
