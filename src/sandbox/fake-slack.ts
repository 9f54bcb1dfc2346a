/**
 * The fake Slack Web API (tests, demo, bench). The implementation lives in ./fake-slack/, one
 * module per method family; this path stays the import point for everything that uses it.
 */
export * from './fake-slack/index.js';
