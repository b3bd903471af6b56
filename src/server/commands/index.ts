export type { CommandChannel } from './command-channel.ts';
export { NoopCommandChannel } from './noop-command-channel.ts';
export { InprocCommandChannel } from './inproc-command-channel.ts';
export { NatsCommandChannel } from './nats-command-channel.ts';
export { CommandService, COMMAND_TTL_MS, defaultTimeouts, instancesOf, type CommandTarget, type IssueOptions } from './command-service.ts';
