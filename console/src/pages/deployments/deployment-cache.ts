// After a change the server answered with the new deployment, every cache that shows it takes
// the answer at once: the deployment page's own and the list's row. Without the second, going
// back to the list shows the old config until the list's next poll, which reads as "the change
// was lost".
import type { QueryClient } from '@tanstack/react-query';
import type { Deployment } from '../../api/deployments';

export function storeDeployment(client: QueryClient, next: Deployment): void {
  client.setQueryData(['deployment', next.id], next);
  client.setQueryData<{ items: Deployment[] }>(
    ['deployments'],
    (list) => list && { ...list, items: list.items.map((d) => (d.id === next.id ? next : d)) },
  );
}
