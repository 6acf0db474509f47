/**
 * DescribeInstances that survives a vanished instance: EC2 answers `InvalidInstanceID.NotFound`
 * for the whole call when one id no longer exists (a terminated instance disappears after about
 * an hour). A gone primary must read as "terminated", never as "the AWS API is unreachable".
 */
import { ManagedResourceNotFoundError } from '../errors.js';
import type { Ec2Port, InstanceInfo } from '../ports/ec2.js';

/** Every requested id -> its info, or `undefined` when EC2 no longer knows it. */
export async function describeInstancesTolerant(
  ec2: Ec2Port,
  ids: readonly string[],
): Promise<Map<string, InstanceInfo | undefined>> {
  try {
    const list = await ec2.describeInstances(ids);
    return new Map(ids.map((id) => [id, list.find((i) => i.instanceId === id)]));
  } catch (e) {
    if (!(e instanceof ManagedResourceNotFoundError)) throw e;
  }
  const one = async (id: string): Promise<[string, InstanceInfo | undefined]> => {
    try {
      const [info] = await ec2.describeInstances([id]);
      return [id, info];
    } catch (e) {
      if (e instanceof ManagedResourceNotFoundError) return [id, undefined];
      throw e;
    }
  };
  return new Map(await Promise.all(ids.map(one)));
}
