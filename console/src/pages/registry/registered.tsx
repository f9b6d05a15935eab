import { Link } from 'react-router';
import type { Dataset } from '../../api/registry-types';

/** Under a data set form: the API's problem, or a link to the set it registered. */
export function Registered({ error, created }: { error: Error | null; created: Dataset | null }) {
  return (
    <>
      {error && <p role="alert">{error.message}</p>}
      {created && (
        <p role="status">
          Registered <Link to={`/datasets/${created.id}`}>{created.name}</Link> (
          {created.stats.size} examples).
        </p>
      )}
    </>
  );
}
