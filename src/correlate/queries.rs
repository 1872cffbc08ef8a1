//! Ready-to-run queries for the user's own log store (Athena over CloudTrail, BigQuery over
//! Cloud Audit Logs, KQL over StorageBlobLogs), for an incident's principal and window.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::detect::finding::Finding;
use crate::time::{rfc3339, NANOS_PER_HOUR};

/// Ready-to-run queries for the user's own log store.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Queries {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub athena_sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bigquery_sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kql: Option<String>,
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn kql_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub(super) fn queries(members: &[&Finding], lead: &str, first: i64, last: i64) -> Queries {
    let providers: BTreeSet<&str> = members.iter().map(|f| f.provider).collect();
    if lead == crate::detect::cardinality::GROUP_PRINCIPAL {
        // Many principals: the window over the buckets they touched.
        let buckets: BTreeSet<&str> = members
            .iter()
            .flat_map(|f| f.resources.iter().map(String::as_str))
            .take(20)
            .collect();
        return queries_over_buckets(&providers, &buckets, first, last);
    }
    queries_for(&providers, lead, first, last)
}

/// Queries for every principal's requests to `buckets` over [first − 1 h, last + 1 h].
fn queries_over_buckets(
    providers: &BTreeSet<&str>,
    buckets: &BTreeSet<&str>,
    first: i64,
    last: i64,
) -> Queries {
    let start = rfc3339(first - NANOS_PER_HOUR);
    let end = rfc3339(last + NANOS_PER_HOUR);
    let list = |q: fn(&str) -> String| buckets.iter().map(|b| q(b)).collect::<Vec<_>>().join(", ");
    Queries {
        athena_sql: providers.contains("aws").then(|| format!(
            "SELECT useridentity.arn, count(*) AS requests, count(DISTINCT sourceipaddress) AS addresses, min(eventtime) AS first, max(eventtime) AS last FROM cloudtrail_logs WHERE json_extract_scalar(requestparameters, '$.bucketName') IN ({}) AND eventtime BETWEEN {} AND {} GROUP BY useridentity.arn ORDER BY requests DESC",
            list(sql_str),
            sql_str(crate::text::prefix(&start, 19)),
            sql_str(crate::text::prefix(&end, 19))
        )),
        bigquery_sql: providers.contains("gcp").then(|| format!(
            "SELECT protopayload_auditlog.authenticationInfo.principalEmail, COUNT(*) AS requests, COUNT(DISTINCT protopayload_auditlog.requestMetadata.callerIp) AS addresses FROM `PROJECT.DATASET.cloudaudit_googleapis_com_*` WHERE resource.labels.bucket_name IN ({}) AND timestamp BETWEEN TIMESTAMP({}) AND TIMESTAMP({}) GROUP BY 1 ORDER BY requests DESC",
            list(sql_str),
            sql_str(&start),
            sql_str(&end)
        )),
        kql: providers.contains("azure").then(|| format!(
            "StorageBlobLogs | where TimeGenerated between (datetime({}) .. datetime({})) | where tostring(split(ObjectKey, '/')[2]) in ({}) | summarize requests = count(), addresses = dcount(CallerIpAddress) by RequesterObjectId, AuthenticationHash | order by requests desc",
            crate::text::prefix(&start, 19),
            crate::text::prefix(&end, 19),
            list(kql_str)
        )),
    }
}

/// Queries for one principal over [first − 1 h, last + 1 h], one per cloud in `providers`
/// (`aws`, `gcp`, `azure`); `investigate` uses them for its window.
pub(crate) fn queries_for(
    providers: &BTreeSet<&str>,
    lead: &str,
    first: i64,
    last: i64,
) -> Queries {
    let start = rfc3339(first - NANOS_PER_HOUR);
    let end = rfc3339(last + NANOS_PER_HOUR);
    let p = lead;
    let athena = providers.contains("aws").then(|| {
        let who = if p == "anonymous" {
            "useridentity.accountid = 'ANONYMOUS_PRINCIPAL'".to_string()
        } else {
            format!("(useridentity.arn = {0} OR useridentity.sessioncontext.sessionissuer.arn = {0})", sql_str(p))
        };
        format!(
            "SELECT eventtime, eventsource, eventname, sourceipaddress, useragent, errorcode, json_extract_scalar(requestparameters, '$.bucketName') AS bucket, json_extract_scalar(requestparameters, '$.key') AS object_key FROM cloudtrail_logs WHERE {who} AND eventtime BETWEEN {} AND {} ORDER BY eventtime",
            sql_str(crate::text::prefix(&start, 19)),
            sql_str(crate::text::prefix(&end, 19))
        )
    });
    let bigquery = providers.contains("gcp").then(|| {
        let who = if p == "anonymous" {
            "(protopayload_auditlog.authenticationInfo.principalEmail IS NULL OR protopayload_auditlog.authenticationInfo.principalEmail = '')".to_string()
        } else {
            format!("protopayload_auditlog.authenticationInfo.principalEmail = {}", sql_str(p))
        };
        format!(
            "SELECT timestamp, protopayload_auditlog.methodName, protopayload_auditlog.resourceName, protopayload_auditlog.requestMetadata.callerIp, protopayload_auditlog.requestMetadata.callerSuppliedUserAgent, protopayload_auditlog.status.code FROM `PROJECT.DATASET.cloudaudit_googleapis_com_*` WHERE {who} AND timestamp BETWEEN TIMESTAMP({}) AND TIMESTAMP({}) ORDER BY timestamp",
            sql_str(&start),
            sql_str(&end)
        )
    });
    let kql = providers.contains("azure").then(|| {
        let who = if p == "anonymous" {
            "AuthenticationType == 'Anonymous'".to_string()
        } else if let Some((_, hash)) = p.split_once(':') {
            format!("AuthenticationHash == {}", kql_str(hash))
        } else {
            format!("RequesterObjectId == {0} or RequesterUpn == {0}", kql_str(p))
        };
        format!(
            "StorageBlobLogs | where TimeGenerated between (datetime({}) .. datetime({})) | where {who} | project TimeGenerated, AccountName, OperationName, StatusText, CallerIpAddress, UserAgentHeader, Uri | order by TimeGenerated asc",
            crate::text::prefix(&start, 19),
            crate::text::prefix(&end, 19)
        )
    });
    Queries {
        athena_sql: athena,
        bigquery_sql: bigquery,
        kql,
    }
}
