// The anonymization module's PostgreSQL side: reading a source's catalog (and, later, copying).
export { readColumns } from './catalog.ts';
