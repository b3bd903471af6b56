import type { Receiver } from './receiver.ts';

/** Accepts everything and keeps nothing: dry runs and routes switched off. */
export class NoopReceiver implements Receiver {
  constructor(readonly name = 'noop') {}
}
