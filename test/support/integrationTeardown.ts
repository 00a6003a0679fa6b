import { stopIntegrationServers } from './integrationSetup';

export default stopIntegrationServers;
