/**
 * A kubeconfig for the FakeApiServer, in the same YAML an operator's ~/.kube/config holds, so
 * the executor is configured exactly as against a real cluster. Plain HTTP needs
 * `insecure-skip-tls-verify` (client-node refuses http otherwise).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { TEST_TOKEN } from './fake-apiserver';

export function kubeconfigYaml(serverUrl: string, namespace = 'autodl'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${serverUrl}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: autodl-executor',
    '  user:',
    `    token: ${TEST_TOKEN}`,
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: autodl-executor',
    `    namespace: ${namespace}`,
    'current-context: fake',
    '',
  ].join('\n');
}

export function kubeConfigFor(serverUrl: string, namespace = 'autodl'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(serverUrl, namespace));
  return kc;
}
