// The anonymization module's PostgreSQL side: the source's catalog and schema, the scan, and the
// masked copy (dump, restore, sync).
export { readColumns } from './catalog.ts';
export { anonConnection, explicitUri } from './connect.ts';
export { anonCopy, redactUri, type CopyMode, type CopyOptions, type CopyProgress, type CopyReport, type TableProgress } from './copy.ts';
export { AnonError, type AnonErrorCode } from './errors.ts';
export { dictionaryYaml, scanDatabase, type ScanOptions, type ScanResult } from './scan.ts';
export { readForeignKeys, readSchema, type CopyTable, type SourceSchema } from './schema.ts';
