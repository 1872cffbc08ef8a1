//! The cast of the benign world: accounts, principals, buckets, and the user agents they use.

#[allow(unused_imports)]
use super::*;

pub const PROD: &str = "111122223333";
pub const DATA: &str = "444455556666";

pub const UA_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp";
pub const UA_CLI_MAC: &str = "aws-cli/2.15.58 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls";
pub const UA_CONSOLE: &str = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.216-182.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]";
pub const UA_BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
pub const UA_BOTO: &str = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69";
pub const UA_GLUE: &str = "aws-sdk-java/2.25.10 Linux/5.10.209-198.858.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_Glue io/sync http/Apache cfg/retry-mode/legacy";
pub const UA_GO: &str =
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.4";
pub const UA_NODE: &str =
    "aws-sdk-nodejs/2.1583.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x callback";
pub const UA_ACTIONS: &str = "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0-1018-azure exe/x86_64.ubuntu.22 prompt/off command/s3.sync";
pub const UA_TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0";
pub const UA_CURL: &str = "curl/8.5.0";
pub const UA_BEAM: &str =
    "apache_beam/2.55.1,gcloud-python/2.16.0 gl-python/3.11.8 grpc/1.62.1 gax/2.18.0 gccl/2.16.0,gzip(gfe)";
pub const UA_GSUTIL: &str = "apitools Python/3.11.8 gsutil/5.27 (linux) analytics/disabled interactive/True command/cp google-cloud-sdk/470.0.0,gzip(gfe)";
pub const UA_GCS_CONSOLE: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36,gzip(gfe)";
pub const UA_GCS_GO: &str = "gcloud-golang-storage/1.40.0,gzip(gfe)";
pub const UA_AZCOPY: &str = "AzCopy/10.24.0 Azure-Storage/0.15 (go1.21.8; linux)";
pub const UA_AZ_NET: &str =
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.3; Microsoft Windows 10.0.22631)";
pub const UA_AZ_PY: &str =
    "azsdk-python-storage-blob/12.19.1 Python/3.11.8 (Linux-5.15.0-1058-azure-x86_64-with-glibc2.35)";
pub const UA_AZ_PORTAL: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0";

pub(crate) fn aws_ids() -> Vec<AwsId> {
    let mut ids = Vec::new();
    let mut n = 0u32;
    let mut add = |kind, account: &'static str, name: &str, session: &str| {
        n += 1;
        let key = match kind {
            AwsKind::User => format!("AKIA{}{:04}", &"Q3EXAMPLEK2Y7TBW"[..12], n),
            _ => format!("ASIA{}{:04}", &"R5EXAMPLEF4N8JCM"[..12], n),
        };
        let unique = match kind {
            AwsKind::User => format!("AIDA{}{:05}", "J4EXAMPLEP2W6Q", n),
            AwsKind::Role => format!("AROA{}{:05}", "K7EXAMPLEB3Z9H", n),
            _ => account.to_string(),
        };
        ids.push(AwsId {
            kind,
            account,
            name: name.to_string(),
            session: session.to_string(),
            key_id: key,
            unique_id: unique,
        });
    };
    use AwsKind::*;
    for u in [
        "alice",
        "bob",
        "gina",
        "carol",
        "dave",
        "erin",
        "frank",
        "pat-admin",
        "dev-tom",
        "kate",
        "backup-maint",
        "reporting-svc",
        "svc-terraform",
    ] {
        add(User, PROD, u, "");
    }
    add(User, DATA, "jenkins", "");
    add(Role, PROD, "etl-nightly", "glue-job-run");
    add(Role, PROD, "backup-agent", "i-0a3f9c2e7b1d45e60");
    add(Role, PROD, "github-deploy", "GitHubActions");
    add(Role, PROD, "analyst", "hank");
    add(Role, PROD, "analyst", "ivy");
    add(Role, PROD, "lambda-thumbnailer", "thumbnailer");
    add(Role, PROD, "security-audit", "prowler-scan");
    add(Role, PROD, "app-backend", "i-07c1e5d9a2b8f3064");
    add(Role, PROD, "ml-training", "sagemaker-job");
    add(
        Role,
        PROD,
        "OrganizationAccountAccessRole",
        "admin-break-glass",
    );
    add(Root, PROD, "root", "");
    add(Service, PROD, "lambda.amazonaws.com", "");
    add(Service, PROD, "ec2.amazonaws.com", "");
    add(User, PROD, "liam", "");
    ids
}

pub(crate) fn buckets() -> Vec<Bucket> {
    let b = |name, account, region, ct_data, access_log: bool| Bucket {
        name,
        account,
        region,
        ct_data,
        access_log_until: if access_log { i64::MAX } else { i64::MIN },
    };
    vec![
        b("acme-data-lake", PROD, "us-east-1", true, false),
        b("acme-curated", PROD, "us-east-1", true, false),
        b("acme-backups", PROD, "us-east-1", true, true),
        b("acme-app-uploads", PROD, "us-east-1", true, true),
        b("acme-web-assets", PROD, "us-east-1", false, true),
        b("acme-shared-docs", PROD, "eu-west-1", true, false),
        b("acme-customer-exports", PROD, "us-east-1", true, true),
        b("acme-reports", PROD, "us-east-1", true, false),
        b("acme-build-artifacts", DATA, "us-east-1", true, false),
    ]
}

/// Azure identities: index 0 olivia, 1 peter, 2 ingest app, 3 partner SAS, 4 key1 of the
/// resource-log account, 5 anonymous, 6 a SAS on the classic account, 7 the classic account
/// key, 8 the SAS the attacker later uses is the partner's (3).
pub(crate) fn az_ids(rng: &mut Rng) -> Vec<AzWho> {
    let h = |rng: &mut Rng| rng.hex(64, true);
    vec![
        AzWho::OAuth {
            oid: "3f6a2b1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c".into(),
            upn: Some("olivia@acme.example".into()),
            app: None,
        },
        AzWho::OAuth {
            oid: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d".into(),
            upn: Some("peter@acme.example".into()),
            app: None,
        },
        AzWho::OAuth {
            oid: "c0ffee00-1234-4abc-8def-556677889900".into(),
            upn: None,
            app: Some("9e8d7c6b-5a49-4382-a1b0-ffeeddccbbaa".into()),
        },
        AzWho::Sas(format!("key1({}),SasSignature({})", h(rng), h(rng))),
        AzWho::Key(format!("key1({})", h(rng))),
        AzWho::Anonymous,
        AzWho::Sas(format!("key2({}),SasSignature({})", h(rng), h(rng))),
        AzWho::Key(format!("key1({})", h(rng))),
    ]
}

pub const AZ_OLIVIA: u16 = 0;
pub const AZ_PETER: u16 = 1;
pub const AZ_APP: u16 = 2;
pub const AZ_PARTNER_SAS: u16 = 3;
pub const AZ_KEY1: u16 = 4;
pub const AZ_ANON: u16 = 5;
pub const AZ_LEGACY_SAS: u16 = 6;
pub const AZ_LEGACY_KEY: u16 = 7;
