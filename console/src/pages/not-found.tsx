import { Link } from 'react-router';

export default function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page here. <Link to="/jobs">Back to the jobs</Link>.
      </p>
    </section>
  );
}
