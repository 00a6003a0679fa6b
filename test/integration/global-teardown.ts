import { stopIntegrationServers } from './global-setup';

export default stopIntegrationServers;
