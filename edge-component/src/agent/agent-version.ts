/** The agent's version, reported on /status (kept equal to edge-component/package.json's by a test). */
export const AGENT_VERSION = '0.1.0';
