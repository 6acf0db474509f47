import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { AwsCallError, AwsThrottledError, ManagedResourceNotFoundError } from '#shared/errors.js';
import { Route53Adapter, normaliseDnsName } from '#shared/adapters/aws/route53.js';

const r53Mock = mockClient(Route53Client);
let dns: Route53Adapter;

beforeEach(() => {
  r53Mock.reset();
  dns = new Route53Adapter(new Route53Client({ region: 'us-east-1' }));
});

const submittedAt = new Date('2025-03-01T10:00:00Z');

describe('Route53Adapter.getRecord', () => {
  it('lists from the record name and type, one item, with the bare zone id', async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'vpn.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.1' }] },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('/hostedzone/Z0123456789ABC', 'VPN.Example.com', 'A')).resolves.toEqual({
      name: 'VPN.Example.com',
      type: 'A',
      ttl: 60,
      values: ['203.0.113.1'],
    });
    expect(r53Mock.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
      HostedZoneId: 'Z0123456789ABC',
      StartRecordName: 'VPN.Example.com',
      StartRecordType: 'A',
      MaxItems: 1,
    });
  });

  it('is undefined when the first record after the start point has another name', async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'www.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.9' }] },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('Z0123456789ABC', 'vpn.example.com.', 'A')).resolves.toBeUndefined();
  });

  it('is undefined when the name matches but the type does not', async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'vpn.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.net' }] },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('Z0123456789ABC', 'vpn.example.com', 'A')).resolves.toBeUndefined();
  });

  it('is undefined for an empty zone', async () => {
    r53Mock
      .on(ListResourceRecordSetsCommand)
      .resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 1 });
    await expect(dns.getRecord('Z0123456789ABC', 'vpn.example.com', 'A')).resolves.toBeUndefined();
  });

  it('matches wildcard names Route 53 returns octal-escaped', async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: '\\052.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.1' }] },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('Z0123456789ABC', '*.example.com', 'A')).resolves.toMatchObject({ ttl: 300 });
  });

  it('refuses alias and routing-policy records instead of reading one of several', async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'vpn.example.com.',
          Type: 'A',
          AliasTarget: { HostedZoneId: 'Z2', DNSName: 'lb.example.net', EvaluateTargetHealth: false },
        },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('Z0123456789ABC', 'vpn.example.com', 'A')).rejects.toThrow(/alias record/);
    r53Mock.reset();
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'vpn.example.com.',
          Type: 'A',
          SetIdentifier: 'a',
          Weight: 1,
          TTL: 60,
          ResourceRecords: [{ Value: '203.0.113.1' }],
        },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    await expect(dns.getRecord('Z0123456789ABC', 'vpn.example.com', 'A')).rejects.toThrow(/routing policy/);
  });

  it('an unknown hosted zone is a ManagedResourceNotFoundError naming it', async () => {
    r53Mock
      .on(ListResourceRecordSetsCommand)
      .rejects(new NoSuchHostedZone({ $metadata: { httpStatusCode: 404 }, message: 'No hosted zone' }));
    const failure = await dns.getRecord('/hostedzone/Z9', 'vpn.example.com', 'A').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((failure as Error).message).toContain('hosted zone Z9');
  });
});

describe('Route53Adapter.upsertRecord', () => {
  it('sends one UPSERT and returns the change id without its /change/ prefix', async () => {
    r53Mock.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C02468ACEGIK', Status: 'PENDING', SubmittedAt: submittedAt },
    });
    const result = await dns.upsertRecord(
      '/hostedzone/Z0123456789ABC',
      { name: 'vpn.example.com', type: 'A', ttl: 60, values: ['203.0.113.2', '203.0.113.3'] },
      'failover pair-a to secondary',
    );
    expect(result).toEqual({ changeId: 'C02468ACEGIK', status: 'PENDING' });
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
      HostedZoneId: 'Z0123456789ABC',
      ChangeBatch: {
        Comment: 'failover pair-a to secondary',
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'vpn.example.com',
              Type: 'A',
              TTL: 60,
              ResourceRecords: [{ Value: '203.0.113.2' }, { Value: '203.0.113.3' }],
            },
          },
        ],
      },
    });
  });

  it('cuts a comment to the 256 characters Route 53 accepts', async () => {
    r53Mock
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: submittedAt } });
    await dns.upsertRecord(
      'Z1',
      { name: 'a.example.com', type: 'CNAME', ttl: 60, values: ['b.example.com'] },
      'x'.repeat(400),
    );
    expect(
      r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Comment,
    ).toHaveLength(256);
  });

  it('throttling (Throttling, PriorRequestNotComplete) is an AwsThrottledError', async () => {
    r53Mock
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(
        new Route53ServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .rejectsOnce(
        new Route53ServiceException({
          name: 'PriorRequestNotComplete',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'x',
        }),
      );
    const record = { name: 'a.example.com', type: 'A' as const, ttl: 60, values: ['203.0.113.1'] };
    await expect(dns.upsertRecord('Z1', record, 'c')).rejects.toThrow(AwsThrottledError);
    await expect(dns.upsertRecord('Z1', record, 'c')).rejects.toThrow(AwsThrottledError);
  });

  it('an InvalidChangeBatch is a terminal AwsCallError with its code', async () => {
    r53Mock
      .on(ChangeResourceRecordSetsCommand)
      .rejects(
        new Route53ServiceException({
          name: 'InvalidChangeBatch',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'bad',
        }),
      );
    const failure = await dns
      .upsertRecord('Z1', { name: 'a.example.com', type: 'A', ttl: 60, values: [] }, 'c')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AwsCallError);
    expect((failure as AwsCallError).awsCode).toBe('InvalidChangeBatch');
  });
});

describe('Route53Adapter.getChangeStatus', () => {
  it('sends the bare change id and returns the status', async () => {
    r53Mock
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: submittedAt } });
    await expect(dns.getChangeStatus('/change/C1')).resolves.toBe('INSYNC');
    expect(r53Mock.commandCalls(GetChangeCommand)[0]!.args[0].input).toEqual({ Id: 'C1' });
  });

  it('an unknown change is a ManagedResourceNotFoundError naming it', async () => {
    r53Mock
      .on(GetChangeCommand)
      .rejects(new NoSuchChange({ $metadata: { httpStatusCode: 404 }, message: 'x' }));
    await expect(dns.getChangeStatus('C404')).rejects.toThrow(/change C404 does not exist/);
  });

  it('an unknown status is an error, not a guess', async () => {
    r53Mock
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: 'C1', Status: 'DONE' as 'INSYNC', SubmittedAt: submittedAt } });
    await expect(dns.getChangeStatus('C1')).rejects.toThrow(AwsCallError);
  });
});

describe('normaliseDnsName', () => {
  it('ignores case and the trailing dot, decodes octal escapes', () => {
    expect(normaliseDnsName('VPN.Example.COM.')).toBe('vpn.example.com');
    expect(normaliseDnsName('\\052.example.com.')).toBe('*.example.com');
  });
});
