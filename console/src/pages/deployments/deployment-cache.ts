// Every deployment write goes through here, so that every cache showing the deployment takes the
// server's answer at once: the deployment page's own and the list's row. Without the list, going
// back to it after a scale showed the old config until its next poll, which reads as "the change
// was lost"; after a delete it showed the deleted row.
import type { QueryClient } from '@tanstack/react-query';
import type { Deployment } from '../../api/deployments';

interface DeploymentList {
  items: Deployment[];
  total?: number;
}

/** After a PATCH or an apply: the answer replaces the page's deployment and the list's row. */
export function storeDeployment(client: QueryClient, next: Deployment): void {
  client.setQueryData(['deployment', next.id], next);
  client.setQueryData<DeploymentList>(
    ['deployments'],
    (list) => list && { ...list, items: list.items.map((d) => (d.id === next.id ? next : d)) },
  );
}

/** After a create: the new deployment's page renders from the answer; the list refetches. */
export async function addDeployment(client: QueryClient, created: Deployment): Promise<void> {
  client.setQueryData(['deployment', created.id], created);
  await client.invalidateQueries({ queryKey: ['deployments'] });
}

/** After a delete: its queries go and the list drops its row at once, then refetches. */
export async function forgetDeployment(client: QueryClient, id: string): Promise<void> {
  client.removeQueries({ queryKey: ['deployment', id] });
  client.setQueryData<DeploymentList>(['deployments'], (list) => {
    if (!list || !list.items.some((d) => d.id === id)) return list;
    const items = list.items.filter((d) => d.id !== id);
    return { ...list, items, ...(list.total === undefined ? {} : { total: list.total - 1 }) };
  });
  await client.invalidateQueries({ queryKey: ['deployments'] });
}
