import { useState, type FormEvent } from 'react';
import { ApiError, changePassword, login, type Me } from '../api.ts';

/** Sign-in, and the choice of a new password when the server asks for one (first admin, a reset). */
export function SignInPage({ me, onSignedIn }: { me: Me | null; onSignedIn: (me: Me) => void }) {
  const mustChange = me?.mustChangePassword === true;
  const [name, setName] = useState(me?.name ?? '');
  const [password, setPassword] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (mustChange && next !== again) { setError('the two new passwords differ'); return; }
    setBusy(true);
    try {
      if (mustChange) {
        await changePassword(password, next);
        // Changing the password ends the sessions: sign in again with the new one.
        onSignedIn(await login(me!.name, next));
      } else onSignedIn(await login(name, password));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page signin">
      <form className="card signin-card" onSubmit={submit} data-testid="signin-form">
        <h1>{mustChange ? 'Choose a new password' : 'Sign in to pgfleet'}</h1>
        {mustChange && <p>The password you signed in with works only once: choose your own (at least 12 characters).</p>}
        {!mustChange && (
          <label>User<input name="name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required autoFocus data-testid="signin-name" /></label>
        )}
        <label>{mustChange ? 'Current password' : 'Password'}
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required data-testid="signin-password" />
        </label>
        {mustChange && (
          <>
            <label>New password<input name="next" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={12} data-testid="signin-next" /></label>
            <label>New password again<input name="again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required data-testid="signin-again" /></label>
          </>
        )}
        {error && <div className="error-banner" role="alert" data-testid="signin-error">{error}</div>}
        <button type="submit" className="primary" disabled={busy} data-testid="signin-submit">{mustChange ? 'Set the password' : 'Sign in'}</button>
      </form>
    </main>
  );
}
