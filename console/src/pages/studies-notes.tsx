import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, postJson } from '../api/client';
import type { Note } from '../api/studies';
import { useSession } from '../auth/session';

/** Notes on the study and its trials; viewers read them, members and admins add. */
export function StudyNotes({ studyId }: { studyId: string }) {
  const { canWrite } = useSession();
  const client = useQueryClient();
  const [body, setBody] = useState('');
  const [trial, setTrial] = useState('');
  const notes = useQuery({
    queryKey: ['study-notes', studyId],
    queryFn: ({ signal }) => getJson<{ items: Note[] }>(`/v1/studies/${studyId}/notes`, signal),
  });
  const add = useMutation({
    mutationFn: () =>
      postJson<Note>(`/v1/studies/${studyId}/notes`, {
        body,
        ...(trial.trim() === '' ? {} : { trial: Number(trial) }),
      }),
    onSuccess: () => {
      setBody('');
      setTrial('');
      void client.invalidateQueries({ queryKey: ['study-notes', studyId] });
    },
  });
  return (
    <section aria-labelledby="notes-heading">
      <h2 id="notes-heading">Notes</h2>
      <table data-testid="notes">
        <thead>
          <tr>
            <th scope="col">On</th>
            <th scope="col">Note</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {notes.data?.items.map((n) => (
            <tr key={n.id}>
              <td>{n.trial === null ? 'study' : `trial ${n.trial}`}</td>
              <td className="note-body">{n.body}</td>
              <td>{n.author}</td>
              <td>{new Date(n.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canWrite && (
        <form
          aria-label="Add a note"
          onSubmit={(e) => {
            e.preventDefault();
            if (body.trim()) add.mutate();
          }}
        >
          <label>
            Note{' '}
            <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={2} cols={50} />
          </label>
          <label>
            Trial (optional){' '}
            <input
              inputMode="numeric"
              pattern="[0-9]*"
              size={6}
              value={trial}
              onChange={(e) => setTrial(e.target.value)}
            />
          </label>
          <button type="submit" disabled={add.isPending}>
            Add note
          </button>
          {add.error && <p role="alert">{String(add.error.message)}</p>}
        </form>
      )}
    </section>
  );
}
