export * from './errors.ts';
export * from './messages.ts';
export * from './statements.ts';
export * from './envelope.ts';
export * from './codec.ts';
export * from './subjects.ts';
export * from './split.ts';
