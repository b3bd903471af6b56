/** A small banner with an API error's message. */
export function ErrorBanner({ message, compact = false }: { message: string; compact?: boolean }) {
  return (
    <div className={compact ? 'error-banner compact' : 'error-banner'} role="alert" data-testid="error-banner">
      {message}
    </div>
  );
}
