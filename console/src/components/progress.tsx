/** Job progress in [0, 1] as an accessible bar with its percentage. */
export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <span className="progress">
      <progress max={100} value={pct} aria-label={label} />
      <span>{pct}%</span>
    </span>
  );
}
