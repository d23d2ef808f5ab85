/**
 * Instance families whose local storage is NVMe instance store although their name has no
 * `d` (EC2 instance-store volumes table).
 */
const nvmeFamiliesWithoutD = new Set([
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p5',
  'p5e',
  'p5en',
  'p6',
  'trn1',
  'trn1n',
  'trn2',
]);

/**
 * Whether a SageMaker instance type (`ml.<family>.<size>`) has local NVMe instance storage.
 * SageMaker encrypts such storage with a hardware module and CreateEndpointConfig fails
 * when a KmsKeyId is given for it. Families with a `d` after the generation (c5d, m5d,
 * r5d, g4dn, p3dn, p4d, p4de, m6id...) have instance store, and so do those listed above.
 */
export function hasLocalInstanceStorage(instanceType: string): boolean {
  const family = /^ml\.([a-z0-9-]+)\./.exec(instanceType)?.[1];
  if (family === undefined) return false;
  if (nvmeFamiliesWithoutD.has(family)) return true;
  // The letters after the generation digit: 'dn' in g4dn, 'd' in c5d, 'de' in p4de, 'id' in m6id.
  const attributes = /^[a-z]+\d+([a-z-]*)$/.exec(family)?.[1] ?? '';
  return attributes.includes('d');
}
