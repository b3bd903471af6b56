export * from './tmp.ts';
export * from './postgres.ts';
export * from './nats.ts';
export * from './wait.ts';
export * from './process.ts';
export * from './chromium.ts';
export * from './replication.ts';
export * from './inproc-agent.ts';
