import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../store/support/transpile.js';

/**
 * deploy/kubernetes, checked without a cluster or kustomize: every document against the Kubernetes
 * API schemas (kubernetes-models ships them compiled to validators by ajv), then the promises the
 * files make to each other and to docs/operations.md.
 */
const DIR = join(repoRoot, 'deploy', 'kubernetes');
type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [k: string]: any;
};

function documents(file: string): Doc[] {
  const parsed = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  return docs.map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Doc;
  });
}

/** `apps/v1` + Deployment → kubernetes-models/apps/v1/Deployment; `v1` + Service → kubernetes-models/v1/Service. */
async function schemaCheck(doc: Doc): Promise<void> {
  const mod = (await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`)) as Record<
    string,
    new (d: unknown) => { validate(): void }
  >;
  const Model = mod[doc.kind];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const resourceFiles = files.filter((f) => f !== 'kustomization.yaml');
const all = new Map(resourceFiles.map((f) => [f, documents(f)]));
const find = (kind: string): Doc => {
  const hits = [...all.values()].flat().filter((d) => d.kind === kind);
  if (hits.length !== 1) throw new Error(`expected one ${kind}, found ${hits.length}`);
  return hits[0]!;
};
const kustomization = documents('kustomization.yaml')[0]!;

describe('deploy/kubernetes', () => {
  it.each(resourceFiles)('%s: every document is valid against the Kubernetes schema of its kind', async (file) => {
    const docs = all.get(file)!;
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) await schemaCheck(doc);
  });

  it('the schema check does refuse an invalid document', async () => {
    const broken = structuredClone(find('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    await expect(schemaCheck(broken)).rejects.toThrow(/containerPort must be integer/);
    await expect(schemaCheck({ ...find('Service'), apiVersion: 'v9' })).rejects.toThrow();
  });

  it('the kustomization lists every manifest but the Secret example, and sets the image', () => {
    expect([...kustomization.resources].sort()).toEqual(
      resourceFiles.filter((f) => f !== 'secret.example.yaml').sort(),
    );
    const container = find('Deployment').spec.template.spec.containers[0];
    const imageName = container.image.split(':')[0];
    expect(kustomization.images).toEqual([expect.objectContaining({ name: imageName })]);
    const image = kustomization.images[0];
    expect(image.newTag ?? image.digest).toBeDefined();
  });

  it('leaves the replica count to the HPA', () => {
    const deployment = find('Deployment');
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('exposes only /cds-services through a TLS Ingress, on the host of PUBLIC_BASE_URL', () => {
    const ingress = find('Ingress');
    const publicHost = new URL(
      documents('configmap.yaml').find((d) => d.metadata.name === 'aibl-cds-env')!.data.PUBLIC_BASE_URL,
    ).host;
    expect(ingress.spec.tls).toEqual([expect.objectContaining({ hosts: [publicHost] })]);
    expect(ingress.spec.rules).toHaveLength(1);
    expect(ingress.spec.rules[0].host).toBe(publicHost);
    const paths = ingress.spec.rules[0].http.paths;
    expect(paths.map((p: { path: string; pathType: string }) => [p.path, p.pathType])).toEqual([
      ['/cds-services', 'Prefix'],
    ]);
    expect(paths[0].backend.service).toEqual({ name: find('Service').metadata.name, port: { name: 'http' } });
  });

  it('serves metrics on their own port, scraped there, and the Service carries only the API', () => {
    const env = documents('configmap.yaml').find((d) => d.metadata.name === 'aibl-cds-env')!.data;
    const deployment = find('Deployment');
    const ports = deployment.spec.template.spec.containers[0].ports as { name: string; containerPort: number }[];
    const metrics = ports.find((p) => p.name === 'metrics')!;
    expect(String(metrics.containerPort)).toBe(env.METRICS_PORT);
    expect(ports.find((p) => p.name === 'http')!.containerPort).toBe(Number(env.PORT));
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(env.METRICS_PORT);
    expect(find('Service').spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
  });

  it('has a NetworkPolicy for the pods, letting in only the API and metrics ports', () => {
    const policy = find('NetworkPolicy');
    const labels = find('Deployment').spec.template.metadata.labels;
    expect(labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const inbound = policy.spec.ingress
      .flatMap((r: { ports: { port: string }[] }) => r.ports.map((p) => p.port))
      .sort();
    expect(inbound).toEqual(['http', 'metrics']);
  });

  it('names one Epic issuer everywhere, and no file outside the repository', () => {
    const sample = JSON.parse(readFileSync(join(repoRoot, 'examples', 'clients.sample.json'), 'utf8'));
    const epicIss = sample.clients[0].iss as string;
    const inConfigMap = JSON.parse(
      documents('configmap.yaml').find((d) => d.metadata.name === 'aibl-cds-files')!.data['clients.json'],
    );
    expect(inConfigMap.clients[0].iss).toBe(epicIss);
    for (const doc of ['README.md', 'docs/connecting-an-ehr.md']) {
      const issuers = [...readFileSync(join(repoRoot, doc), 'utf8').matchAll(/"iss": "([^"]*interconnect[^"]*)"/g)].map(
        (m) => m[1],
      );
      expect({ doc, issuers: [...new Set(issuers)] }).toEqual({ doc, issuers: [epicIss] });
    }
    for (const f of files)
      expect({ f, rulesMd: readFileSync(join(DIR, f), 'utf8').includes('rules.md') }).toEqual({ f, rulesMd: false });
  });
});
