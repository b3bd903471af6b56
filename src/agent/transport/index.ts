export * from './transport.ts';
export { NoopTransport } from './noop-transport.ts';
export { InprocTransport } from './inproc-transport.ts';
export { NatsTransport, type NatsTransportOptions } from './nats-transport.ts';
export { HttpTransport, RejectedMessageError, type HttpTransportOptions } from './http-transport.ts';
