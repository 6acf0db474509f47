/** SNS's awsQuery protocol: form body `Action=Publish&Version=2010-03-31`, XML answers and errors. */
import { SimAwsError } from '#sim/world/aws-error.js';
import type { HandlerContext, WireResponse } from './protocol.js';
import { XML_DECLARATION, el, escapeXml, node } from './xml.js';

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export function snsErrorResponse(e: SimAwsError, requestId: string): WireResponse {
  return {
    status: e.httpStatus,
    headers: { 'content-type': 'text/xml' },
    body: `${XML_DECLARATION}<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${e.faultType}</Type><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export async function handleSns(
  params: ReadonlyMap<string, string>,
  ctx: HandlerContext,
): Promise<WireResponse> {
  const action = params.get('Action') ?? '';
  ctx.count(`sns:${action}`);
  try {
    if (action === 'ListTopics') {
      const topics = ctx.world.sns.listTopics();
      return xmlOk('ListTopics', node('Topics', topics.map((t) => node('member', el('TopicArn', t))).join('')), ctx.requestId);
    }
    if (action === 'ListSubscriptions' || action === 'ListSubscriptionsByTopic') {
      // The simulator's topics record what is published; nobody is subscribed to them.
      return xmlOk(action, node('Subscriptions', ''), ctx.requestId);
    }
    if (action === 'GetTopicAttributes') {
      const topicArn = params.get('TopicArn') ?? '';
      const attributes = await ctx.world.call('sns:GetTopicAttributes', () => ctx.world.sns.getTopicAttributes(topicArn));
      return xmlOk('GetTopicAttributes', node('Attributes', Object.entries(attributes).map(([k, v]) => node('entry', `${el('key', k)}${el('value', v)}`)).join('')), ctx.requestId);
    }
    if (action !== 'Publish') {
      throw new SimAwsError(
        'sns',
        'InvalidAction',
        `The action ${action} is not valid for this web service.`,
      );
    }
    const topicArn = params.get('TopicArn');
    const message = params.get('Message');
    if (topicArn === undefined)
      throw new SimAwsError(
        'sns',
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    if (message === undefined)
      throw new SimAwsError(
        'sns',
        'InvalidParameter',
        'Invalid parameter: Message Reason: no value for required parameter',
      );
    const subject = params.get('Subject');
    const messageStructure = params.get('MessageStructure');
    const messageId = await ctx.world.call('sns:Publish', () =>
      ctx.world.sns.publish({
        topicArn,
        message,
        ...(subject === undefined ? {} : { subject }),
        ...(messageStructure === undefined ? {} : { messageStructure }),
      }),
    );
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `${XML_DECLARATION}<PublishResponse xmlns="${NAMESPACE}"><PublishResult>${el('MessageId', messageId)}</PublishResult><ResponseMetadata>${el('RequestId', ctx.requestId)}</ResponseMetadata></PublishResponse>`,
    };
  } catch (e) {
    if (e instanceof SimAwsError) return snsErrorResponse(e, ctx.requestId);
    throw e;
  }
}

function xmlOk(action: string, result: string, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `${XML_DECLARATION}<${action}Response xmlns="${NAMESPACE}"><${action}Result>${result}</${action}Result><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`,
  };
}
