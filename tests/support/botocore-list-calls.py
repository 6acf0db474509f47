"""The read and list calls a person makes with the AWS CLI to look around the simulator, made
with botocore (the AWS CLI's own library): prints one JSON document of what each call answered.
Usage: python3 botocore-list-calls.py TABLE EXECUTION_ARN (AWS_ENDPOINT_URL, AWS_REGION set)."""
import json
import os
import sys

import botocore.session

table, execution_arn = sys.argv[1], sys.argv[2]
session = botocore.session.get_session()
endpoint = os.environ["AWS_ENDPOINT_URL"]
region = os.environ["AWS_REGION"]


def client(name):
    return session.create_client(name, region_name=region, endpoint_url=endpoint, aws_access_key_id="simulator", aws_secret_access_key="simulator")


out = {}
out["route53.ListHostedZones"] = [z["Id"] for z in client("route53").list_hosted_zones()["HostedZones"]]
ddb = client("dynamodb")
scanned = ddb.scan(TableName=table)
out["dynamodb.Scan"] = sorted(item["pk"]["S"] + "/" + item["sk"]["S"] for item in scanned["Items"])
sfn = client("stepfunctions")
machines = sfn.list_state_machines()["stateMachines"]
out["states.ListStateMachines"] = [m["name"] for m in machines]
out["states.ListExecutions"] = [e["name"] for e in sfn.list_executions(stateMachineArn=machines[0]["stateMachineArn"])["executions"]]
history = []
for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn, PaginationConfig={"PageSize": 5}):
    history.extend(page["events"])
out["states.GetExecutionHistory"] = {"types": [e["type"] for e in history], "entered": [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]}
sns = client("sns")
out["sns.ListTopics"] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
out["sns.ListSubscriptions"] = sns.list_subscriptions()["Subscriptions"]
out["secretsmanager.ListSecrets"] = [s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]]
print(json.dumps(out))
