// The Kubernetes manifests in deploy/k8s against the API schemas (kubernetes-models: the
// Kubernetes OpenAPI schemas compiled to validators; KEDA and prometheus-operator CRD schemas
// from their model packages): every document's apiVersion and kind is known, and its fields have
// the types the API server takes, required fields included. The checker must refuse a broken
// manifest. (Unknown field names pass: these schemas, like the API's own, allow extra properties.)

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { REPO as ROOT } from '../helpers/paths.js';

type Validating = new (data: Record<string, unknown>) => { validate(): void };

async function models(): Promise<Map<string, Validating>> {
  const m = new Map<string, Validating>();
  const add = (apiVersion: string, kind: string, cls: unknown) => m.set(`${apiVersion}/${kind}`, cls as Validating);
  add('v1', 'Namespace', (await import('kubernetes-models/v1/Namespace')).Namespace);
  add('v1', 'Service', (await import('kubernetes-models/v1/Service')).Service);
  add('v1', 'Secret', (await import('kubernetes-models/v1/Secret')).Secret);
  add('v1', 'ConfigMap', (await import('kubernetes-models/v1/ConfigMap')).ConfigMap);
  add('apps/v1', 'Deployment', (await import('kubernetes-models/apps/v1/Deployment')).Deployment);
  add(
    'autoscaling/v2',
    'HorizontalPodAutoscaler',
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  );
  add('networking.k8s.io/v1', 'Ingress', (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress);
  add(
    'policy/v1',
    'PodDisruptionBudget',
    (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  );
  add(
    'keda.sh/v1alpha1',
    'ScaledObject',
    (await import('@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject')).ScaledObject,
  );
  add(
    'monitoring.coreos.com/v1',
    'ServiceMonitor',
    (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor')).ServiceMonitor,
  );
  return m;
}

/** Problems of one manifest document: an unknown apiVersion/kind, or the schema's complaint. */
function check(known: Map<string, Validating>, doc: Record<string, unknown>): string | undefined {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const cls = known.get(key);
  if (!cls)
    return `apiVersion ${String(doc.apiVersion)} kind ${String(doc.kind)} is not a known API (known: ${[...known.keys()].join(', ')})`;
  try {
    new cls(doc).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message.slice(0, 600);
  }
}

const dir = join(ROOT, 'deploy', 'k8s');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('deploy/k8s manifests against the Kubernetes, KEDA and prometheus-operator schemas', async () => {
  const known = await models();
  for (const f of files) {
    it(f, () => {
      const docs = parseAllDocuments(readFileSync(join(dir, f), 'utf8'))
        .map((d) => d.toJSON() as Record<string, unknown> | null)
        .filter((d) => d);
      assert.ok(docs.length > 0, `${f} has a document`);
      for (const d of docs)
        assert.equal(
          check(known, d!),
          undefined,
          `${f}: ${String(d!.kind)} ${String((d!.metadata as { name?: string })?.name)}`,
        );
    });
  }

  it('the checker refuses broken manifests (a wrong type, an unknown API version, a missing required field)', () => {
    const deployment = parseAllDocuments(readFileSync(join(dir, 'deployment.yaml'), 'utf8'))[0]!.toJSON() as {
      spec: Record<string, unknown>;
    };
    assert.match(
      check(known, { ...deployment, spec: { ...deployment.spec, replicas: 'two' } }) ?? '',
      /replicas|integer/,
    );
    assert.match(check(known, { ...deployment, apiVersion: 'apps/v1beta1' }) ?? '', /not a known API/);
    const { selector: _s, ...noSelector } = deployment.spec;
    assert.match(check(known, { ...deployment, spec: noSelector }) ?? '', /selector/);
    const scaled = parseAllDocuments(readFileSync(join(dir, 'keda-scaledobject.yaml'), 'utf8'))[0]!.toJSON() as {
      spec: Record<string, unknown>;
    };
    assert.match(
      check(known, { ...scaled, spec: { ...scaled.spec, minReplicaCount: '2' } }) ?? '',
      /minReplicaCount|integer/,
    );
  });
});
