/**
 * Instance families with local NVMe instance store that SageMaker offers for real-time
 * endpoints (`ml.<family>.<size>`), from the "Instance store specifications" tables of the
 * EC2 instance types guide:
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html (accelerated computing),
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html (general purpose),
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html (compute optimized),
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html (memory optimized).
 * Family names are matched whole: `p6-b200` and `p6e-gb200` carry a hyphen, and most GPU
 * families (g5, p5, trn1...) have instance store without the `d` the older families use.
 */
export const nvmeInstanceFamilies: ReadonlySet<string> = new Set([
  // Accelerated computing.
  'g4dn',
  'g4ad',
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
  'p6-b200',
  'p6-b300',
  'p6e-gb200',
  'trn1',
  'trn1n',
  'trn2',
  // General purpose, compute and memory optimized: the `d` variants.
  'm5d',
  'm6gd',
  'm6id',
  'm7gd',
  'c5d',
  'c6gd',
  'c6id',
  'c7gd',
  'r5d',
  'r6gd',
  'r6id',
  'r7gd',
]);

/** The family of `ml.<family>.<size>`, hyphens kept (`p6-b200`), or undefined. */
export function instanceFamily(instanceType: string): string | undefined {
  return /^ml\.([a-z0-9-]+)\.[a-z0-9-]+$/.exec(instanceType)?.[1];
}

/**
 * Whether a SageMaker instance type has local NVMe instance storage. SageMaker encrypts such
 * storage with a hardware module, and CreateEndpointConfig fails when a KmsKeyId is given for
 * it (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html,
 * KmsKeyId). A family missing from {@link nvmeInstanceFamilies} (one AWS adds later) is
 * judged by the convention of its name: a `d` among the letters after the generation digit
 * of its first part (m8gd, x2idn).
 */
export function hasLocalInstanceStorage(instanceType: string): boolean {
  const family = instanceFamily(instanceType);
  if (family === undefined) return false;
  if (nvmeInstanceFamilies.has(family)) return true;
  const attributes = /^[a-z]+\d+([a-z]*)/.exec(family.split('-')[0]!)?.[1] ?? '';
  return attributes.includes('d');
}
