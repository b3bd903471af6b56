/** mulberry32: a small seeded PRNG, so a randomised test that fails reproduces (the simulator's own). */
export { mulberry32 as prng } from '../../src/simulate/index.ts';
