export { Worker, JOB_LOCKS, type WorkerOptions, type WorkerJob } from './worker.ts';
