import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

/** A labelled field with its error (announced, tied by aria-describedby). */
export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | null | undefined;
  hint?: string;
  autoComplete?: string;
  required?: boolean;
  dir?: 'auto' | 'ltr';
  multiline?: boolean;
}) {
  const id = useId();
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    dir: props.dir ?? 'auto',
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': described,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? <textarea {...common} rows={3} /> : <input {...common} type={props.type ?? 'text'} autoComplete={props.autoComplete} />}
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function FormError(props: { children: ComponentChildren }) {
  return props.children ? (
    <p class="error" role="alert">
      {props.children}
    </p>
  ) : null;
}
