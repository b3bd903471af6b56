import type { InstanceStatus } from '../api.ts';

/** A coloured badge for an instance status: up, stale, down, unknown. */
export function StatusBadge({ status }: { status: InstanceStatus }) {
  const known = status === 'up' || status === 'stale' || status === 'down' ? status : 'unknown';
  return <span className={`badge badge-${known}`} data-status={known}>{known}</span>;
}

/** The role of an instance, as a quiet tag. */
export function RoleTag({ role }: { role: string }) {
  return <span className={`role role-${role}`}>{role}</span>;
}
