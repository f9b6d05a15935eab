// A labelled form field with an optional hint and the server's errors for it beside it (an
// alert, described by the input), as the fine-tune and explanation forms show them.
import { useId } from 'react';
import type { ReactNode } from 'react';

export function Field({
  label,
  errors,
  hint,
  children,
}: {
  label: string;
  errors?: string[];
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [errors?.length ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${errors?.length ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy || undefined)}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {errors?.length ? (
        <span id={errId} className="error" role="alert">
          {errors.join('; ')}
        </span>
      ) : null}
    </div>
  );
}

/** The errors of the form as a whole (no field of their own), at its top. */
export function FormErrors({ errors }: { errors?: string[] }) {
  return errors?.length ? (
    <p role="alert" className="error">
      {errors.join('; ')}
    </p>
  ) : null;
}
