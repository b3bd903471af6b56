// Child of bench/store.ts: consumes a stream as fast as this machine allows, acking each
// message (and, with `decode`, decoding and validating it as the keeper does), without
// storing anything: the ceiling any keeper on this machine can reach. Prints `ready` once
// consuming and `done <ms>` when `count` messages were acked.
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { decodeEnvelope } from '../src/protocol/index.ts';

const [url, stream, consumerName, countArg, mode] = process.argv.slice(2);
const count = Number(countArg);
const nc = await connect({ servers: url });
const consumer = await jetstream(nc).consumers.get(stream, consumerName);
// The keeper's pull size (NatsSource: twice its largest batch).
const messages = await consumer.consume({ max_messages: 2000 });
process.stdout.write('ready\n');
let seen = 0;
let first = 0;
for await (const m of messages) {
  if (seen === 0) first = performance.now();
  if (mode === 'decode') decodeEnvelope(m.data);
  m.ack();
  if (++seen >= count) break;
}
await nc.flush();
process.stdout.write(`done ${(performance.now() - first).toFixed(0)}\n`);
await nc.close();
