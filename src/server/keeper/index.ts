export * from './receiver.ts';
export * from './keeper.ts';
export * from './errors.ts';
export { StoreReceiver } from './store-receiver.ts';
export { LiveReceiver, LIVE_CHANNEL, type LiveUpdate } from './live-receiver.ts';
export { NoopReceiver } from './noop-receiver.ts';
export { NatsSource, ensureIngestStream, type NatsSourceOptions, type StreamOptions } from './nats-source.ts';
