// One button for one action on an instance: it asks for confirmation (showing what will run),
// sends the command, follows it until it ends, shows the outcome, and can cancel it meanwhile.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { cancelCommand, describeAction, describeOutcome, fetchCommand, hasRole, isPending, runAction, type ActionName, type Command } from '../actions.ts';
import { ApiError } from '../api.ts';
import { useMe } from '../me.ts';

interface ActionButtonProps {
  instance: { id: string; namespace: string; role?: string };
  action: ActionName;
  params: Record<string, unknown>;
  label: string;
  /** A sentence above the statement: what it does, what it costs. */
  explain?: ReactNode;
  /** Red button and confirmation (terminate, drop). */
  danger?: boolean;
  /** Called when the command ended ok (to refresh what it changed). */
  onDone?: (c: Command) => void;
  /** Shown on replicas too (actions that do not write). */
  onReplicas?: boolean;
  testid?: string;
}

/** Hidden for users without the operator role (admin for scripts) in the instance's namespace, and on replicas for writes. */
export function ActionButton({ instance, action, params, label, explain, danger, onDone, onReplicas, testid }: ActionButtonProps) {
  const me = useMe();
  const [open, setOpen] = useState(false);
  if (!hasRole(me, action === 'script' ? 'admin' : 'operator', instance.namespace)) return null;
  if (!onReplicas && instance.role === 'replica') return null;
  return (
    <>
      <button type="button" className={`act${danger ? ' danger' : ''}`} data-testid={testid ?? `act-${action}`} onClick={() => setOpen(true)}>{label}</button>
      {open && <ActionDialog instance={instance.id} action={action} params={params} label={label} explain={explain} danger={danger} onDone={onDone} onClose={() => setOpen(false)} />}
    </>
  );
}

function ActionDialog({ instance, action, params, label, explain, danger, onDone, onClose }: Omit<ActionButtonProps, 'instance' | 'testid' | 'onReplicas'> & { instance: string; onClose: () => void }) {
  const [command, setCommand] = useState<Command | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [lockTimeoutS, setLockTimeoutS] = useState(5);
  const stopped = useRef(false);
  useEffect(() => () => { stopped.current = true; }, []);

  // Follows the command until it ends.
  useEffect(() => {
    if (!command || !isPending(command)) return;
    const t = setTimeout(() => {
      fetchCommand(command.id).then((c) => { if (!stopped.current) setCommand(c); }, (err: Error) => setError(err.message));
    }, 1000);
    return () => clearTimeout(t);
  }, [command]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = () => {
    setSending(true);
    setError(null);
    runAction(instance, action, params, { waitS: 2, lockTimeoutMs: lockTimeoutS * 1000 })
      .then(setCommand, (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)))
      .finally(() => setSending(false));
  };
  const cancel = () => {
    if (command) cancelCommand(command.id).catch((err: Error) => setError(err.message));
  };
  const pending = command !== null && isPending(command);
  // What the command changed is refreshed when its outcome has been read, not under the reader's eyes.
  const close = () => {
    onClose();
    if (command?.state === 'ok') onDone?.(command);
  };
  return (
    <div className="dialog-backdrop" role="presentation" onClick={(e) => { if (e.target === e.currentTarget) close(); }}>
      <div className="dialog card" role="dialog" aria-modal="true" aria-label={label} data-testid="action-dialog" data-state={command?.state ?? (sending ? 'sending' : 'confirm')}>
        <h3>{label} <span className="muted">on {instance}</span></h3>
        {explain && <p className="muted">{explain}</p>}
        <pre className="statement" data-testid="action-statement">{describeAction(action, params)}</pre>
        {!command && (
          <label className="inline">lock_timeout <input type="number" min={1} max={600} value={lockTimeoutS} onChange={(e) => setLockTimeoutS(Math.max(1, Number(e.target.value) || 5))} /> s</label>
        )}
        {command && (
          <p data-testid="action-outcome" className={command.state === 'ok' ? 'ok-text' : isPending(command) ? 'muted' : 'warn-text'}>
            {describeOutcome(command)}
          </p>
        )}
        {command?.state === 'error' && command.error && command.error.includes('\n') && <pre className="statement">{command.error}</pre>}
        {error && <p className="warn-text" data-testid="action-error">{error}</p>}
        <div className="toolbar">
          {!command && <button type="button" className={`primary${danger ? ' danger' : ''}`} disabled={sending} data-testid="action-confirm" onClick={run}>{sending ? 'Sending…' : label}</button>}
          {pending && <button type="button" data-testid="action-cancel" onClick={cancel}>Cancel it</button>}
          <button type="button" data-testid="action-close" onClick={close} title={pending ? 'it goes on; the Tasks page lists its outcome' : undefined}>{command ? 'Close' : 'Back'}</button>
        </div>
      </div>
    </div>
  );
}
