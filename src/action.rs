//! `action_class`: what an API call does to storage, for every S3 / GCS / Azure Blob API and
//! the CloudTrail, IAM, STS, KMS and Azure resource-provider calls that matter to storage.
//!
//! Exact names first (tables), then name shapes (`Get*`, `List*`, `*.delete`), so a new API of
//! a known family still lands in the right class.

use crate::event::ActionClass::{self, *};

/// Classifies an AWS API by event source and name (CloudTrail `eventSource` / `eventName`).
pub fn aws(event_source: &str, name: &str) -> ActionClass {
    let service = event_source.split('.').next().unwrap_or("");
    match service {
        "s3" | "s3-outposts" => s3(name),
        "cloudtrail" => cloudtrail(name),
        "iam" => iam(name),
        "sts" | "signin" | "sso" | "sso-oauth" | "identitystore" => Auth,
        "kms" => kms(name),
        "logs" if name.starts_with("Delete") || name == "PutRetentionPolicy" => Logging,
        "config"
            if matches!(
                name,
                "StopConfigurationRecorder"
                    | "DeleteConfigurationRecorder"
                    | "DeleteDeliveryChannel"
            ) =>
        {
            Logging
        }
        "guardduty"
            if matches!(
                name,
                "DeleteDetector" | "UpdateDetector" | "DisassociateFromMasterAccount"
            ) =>
        {
            Logging
        }
        _ => generic(name),
    }
}

fn s3(name: &str) -> ActionClass {
    match name {
        "GetObject"
        | "HeadObject"
        | "SelectObjectContent"
        | "GetObjectTorrent"
        | "GetObjectAttributes"
        | "RestoreObject" => Read,
        "PutObject"
        | "CopyObject"
        | "UploadPart"
        | "UploadPartCopy"
        | "CreateMultipartUpload"
        | "CompleteMultipartUpload"
        | "AbortMultipartUpload"
        | "PostObject"
        | "PutObjectTagging"
        | "DeleteObjectTagging"
        | "WriteGetObjectResponse"
        | "PutObjectLegalHold"
        | "RenameObject" => Write,
        "DeleteObject" | "DeleteObjects" | "DeleteObjectVersion" | "DeleteBucket" => Delete,
        "ListObjects"
        | "ListObjectsV2"
        | "ListBucket"
        | "ListBuckets"
        | "ListAllMyBuckets"
        | "ListObjectVersions"
        | "ListBucketVersions"
        | "ListMultipartUploads"
        | "ListParts"
        | "ListMultipartUploadParts"
        | "ListDirectoryBuckets"
        | "ListAccessPoints"
        | "HeadBucket" => List,
        "PutBucketPolicy"
        | "DeleteBucketPolicy"
        | "PutBucketAcl"
        | "PutObjectAcl"
        | "PutPublicAccessBlock"
        | "PutBucketPublicAccessBlock"
        | "DeletePublicAccessBlock"
        | "DeleteBucketPublicAccessBlock"
        | "PutBucketOwnershipControls"
        | "DeleteBucketOwnershipControls"
        | "PutAccessPointPolicy"
        | "DeleteAccessPointPolicy"
        | "PutAccountPublicAccessBlock"
        | "DeleteAccountPublicAccessBlock"
        | "PutBucketCors"
        | "DeleteBucketCors" => Permission,
        "PutBucketLogging" => Logging,
        "PutBucketEncryption"
        | "DeleteBucketEncryption"
        | "PutBucketVersioning"
        | "PutBucketLifecycle"
        | "PutBucketLifecycleConfiguration"
        | "DeleteBucketLifecycle"
        | "PutBucketReplication"
        | "DeleteBucketReplication"
        | "PutObjectLockConfiguration"
        | "PutObjectRetention"
        | "PutBucketObjectLockConfiguration"
        | "CreateBucket"
        | "PutBucketWebsite"
        | "DeleteBucketWebsite"
        | "PutBucketNotification"
        | "PutBucketNotificationConfiguration"
        | "PutBucketTagging"
        | "DeleteBucketTagging"
        | "PutBucketAccelerateConfiguration"
        | "PutBucketRequestPayment"
        | "PutBucketIntelligentTieringConfiguration"
        | "PutBucketInventoryConfiguration"
        | "CreateAccessPoint"
        | "DeleteAccessPoint"
        | "CreateJob"
        | "UpdateJobStatus" => Config,
        // Reading a bucket's or object's settings is metadata, not data.
        _ if name.starts_with("GetBucket")
            || name.starts_with("GetObject")
            || name.starts_with("GetPublicAccessBlock")
            || name.starts_with("GetAccount")
            || name.starts_with("GetAccessPoint") =>
        {
            Other
        }
        _ => generic(name),
    }
}

fn cloudtrail(name: &str) -> ActionClass {
    match name {
        "LookupEvents"
        | "DescribeTrails"
        | "GetTrailStatus"
        | "GetEventSelectors"
        | "ListTrails"
        | "GetTrail"
        | "GetInsightSelectors"
        | "ListTags" => List,
        _ if name.starts_with("Get")
            || name.starts_with("Describe")
            || name.starts_with("List") =>
        {
            List
        }
        _ => Logging,
    }
}

fn iam(name: &str) -> ActionClass {
    if name.starts_with("Get")
        || name.starts_with("List")
        || name.starts_with("Generate")
        || name.starts_with("Simulate")
    {
        return List;
    }
    match name {
        "CreateAccessKey"
        | "UpdateAccessKey"
        | "DeleteAccessKey"
        | "CreateLoginProfile"
        | "UpdateLoginProfile"
        | "DeleteLoginProfile"
        | "ChangePassword"
        | "EnableMFADevice"
        | "DeactivateMFADevice"
        | "CreateVirtualMFADevice"
        | "DeleteVirtualMFADevice"
        | "ResyncMFADevice"
        | "CreateServiceSpecificCredential"
        | "UploadSSHPublicKey" => Auth,
        _ => Permission,
    }
}

fn kms(name: &str) -> ActionClass {
    match name {
        "Decrypt"
        | "GenerateDataKey"
        | "GenerateDataKeyWithoutPlaintext"
        | "ReEncrypt"
        | "ReEncryptFrom"
        | "ReEncryptTo"
        | "GenerateDataKeyPair" => Read,
        "Encrypt" => Write,
        "PutKeyPolicy" | "CreateGrant" | "RevokeGrant" | "RetireGrant" => Permission,
        "ScheduleKeyDeletion"
        | "DisableKey"
        | "DisableKeyRotation"
        | "CancelKeyDeletion"
        | "EnableKey"
        | "EnableKeyRotation"
        | "CreateKey"
        | "ImportKeyMaterial"
        | "DeleteImportedKeyMaterial"
        | "UpdateKeyDescription"
        | "CreateAlias"
        | "DeleteAlias"
        | "UpdateAlias"
        | "RotateKeyOnDemand"
        | "RotateKey" => Config,
        _ => generic(name),
    }
}

/// Name-shape fallback for APIs not in a table.
fn generic(name: &str) -> ActionClass {
    let n = name;
    if n == "ConsoleLogin"
        || n.starts_with("AssumeRole")
        || n.contains("SessionToken")
        || n.contains("SigninToken")
    {
        Auth
    } else if n.starts_with("List")
        || n.starts_with("Describe")
        || n.starts_with("Lookup")
        || n.starts_with("Search")
    {
        List
    } else if n.starts_with("Get")
        || n.starts_with("Head")
        || n.starts_with("Select")
        || n.starts_with("Batch Get")
    {
        Read
    } else if n.starts_with("Delete") || n.starts_with("Remove") || n.starts_with("Terminate") {
        Delete
    } else if n.contains("Policy") || n.contains("Acl") || n.contains("Permission") {
        Permission
    } else if n.starts_with("Put")
        || n.starts_with("Update")
        || n.starts_with("Create")
        || n.starts_with("Set")
        || n.starts_with("Modify")
        || n.starts_with("Enable")
        || n.starts_with("Disable")
        || n.starts_with("Attach")
    {
        Config
    } else {
        Other
    }
}

/// Classifies an S3 server access-log operation (`REST.GET.OBJECT`, `BATCH.DELETE.OBJECT`,
/// `S3.EXPIRE.OBJECT`, `WEBSITE.GET.OBJECT`).
pub fn s3_access_operation(op: &str) -> ActionClass {
    let mut parts = op.splitn(3, '.');
    let (iface, verb, target) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    match (iface, verb, target) {
        ("S3", "EXPIRE", _) | ("S3", "DELETE", _) => Delete,
        (
            "S3",
            "TRANSITION" | "TRANSITION_SIA" | "TRANSITION_ZIA" | "TRANSITION_INT"
            | "TRANSITION_GIR" | "TRANSITION_GDA",
            _,
        ) => Config,
        ("S3", _, _) => Other,
        (_, "DELETE", "OBJECT" | "UPLOAD" | "BUCKET" | "OBJECT_TAGGING") => Delete,
        (_, "GET" | "HEAD", "OBJECT" | "OBJECT_TORRENT") => Read,
        (_, "POST", "OBJECT_RESTORE" | "RESTORE") => Read,
        (_, "GET", "BUCKET" | "SERVICE" | "BUCKETVERSIONS" | "UPLOADS" | "UPLOAD")
        | (_, "HEAD", "BUCKET") => List,
        (_, "COPY", "OBJECT_GET") => Read,
        (
            _,
            "PUT" | "POST" | "COPY",
            "OBJECT" | "PART" | "PART_COPY" | "UPLOAD" | "UPLOADS" | "OBJECT_TAGGING",
        ) => Write,
        (
            _,
            "PUT" | "DELETE",
            "BUCKETPOLICY" | "ACL" | "PUBLICACCESSBLOCK" | "OWNERSHIP_CONTROLS" | "CORS"
            | "OBJECT_ACL",
        ) => Permission,
        (_, "PUT" | "DELETE", "LOGGING_STATUS" | "LOGGING") => Logging,
        (_, "PUT" | "DELETE", _) => Config,
        (_, "GET", _) => Other,
        _ => Other,
    }
}

/// Classifies a GCS / Cloud Audit Log method (`storage.objects.get`,
/// `google.storage.objects.get`, `storage.setIamPermissions`, `storage.hmacKeys.create`).
pub fn gcs(method: &str) -> ActionClass {
    let m = method.strip_prefix("google.").unwrap_or(method);
    match m {
        "storage.setIamPermissions"
        | "storage.buckets.setIamPolicy"
        | "storage.objects.setIamPolicy"
        | "storage.objects.updateAcl"
        | "storage.buckets.updateAcl" => return Permission,
        "storage.getIamPermissions"
        | "storage.buckets.getIamPolicy"
        | "storage.objects.getIamPolicy"
        | "storage.buckets.get"
        | "storage.buckets.getMetadata" => return Other,
        _ => {}
    }
    let verb = m.rsplit('.').next().unwrap_or("");
    let noun = m.rsplit('.').nth(1).unwrap_or("");
    match (noun, verb) {
        ("hmacKeys", "create" | "update" | "delete") => Auth,
        (_, "list") => List,
        ("objects", "get") => Read,
        ("objects", "create" | "update" | "patch" | "compose" | "rewrite" | "copy" | "insert") => {
            Write
        }
        ("objects" | "buckets" | "managedFolders" | "folders", "delete") => Delete,
        ("buckets", "create" | "update" | "patch" | "lockRetentionPolicy" | "relocate") => Config,
        ("anywhereCaches", _) => Config,
        (_, v) if v.contains("Iam") || v.contains("Acl") => Permission,
        (_, "get") => Other,
        _ => Other,
    }
}

/// Classifies an Azure Blob / Data Lake operation (`GetBlob`, `PutBlob`, `ListBlobs`...).
pub fn azure_blob(op: &str) -> ActionClass {
    // Storage logs write some names in other casings (e.g. `deleteblob` in exports).
    let lower_is = |s: &str| op.eq_ignore_ascii_case(s);
    const READ: &[&str] = &[
        "GetBlob",
        "GetBlobProperties",
        "GetBlobMetadata",
        "GetBlockList",
        "GetPageRanges",
        "GetPageRangesDiff",
        "ReadFile",
        "QueryBlobContents",
        "CopyBlobSource",
        "GetBlobTags",
        "GetFileProperties",
    ];
    const WRITE: &[&str] = &[
        "PutBlob",
        "PutBlock",
        "PutBlockList",
        "PutBlockFromURL",
        "PutPage",
        "PutPageFromURL",
        "AppendBlock",
        "AppendBlockFromURL",
        "AppendFile",
        "FlushFile",
        "CreateFile",
        "CopyBlob",
        "CopyBlobDestination",
        "StartCopyBlobFromURL",
        "CopyBlobFromURL",
        "SetBlobMetadata",
        "SetBlobProperties",
        "SetBlobTier",
        "SnapshotBlob",
        "SetBlobTags",
        "UndeleteBlob",
        "RenamePathFile",
        "RenameFile",
        "LeaseBlob",
        "CreatePathFile",
        "CreateDirectory",
        "SetBlobExpiry",
    ];
    const DELETE: &[&str] = &[
        "DeleteBlob",
        "DeleteContainer",
        "DeleteFile",
        "DeleteDirectory",
        "DeletePath",
        "DeleteFilesystem",
    ];
    const LIST: &[&str] = &[
        "ListBlobs",
        "ListContainers",
        "ListFilesystems",
        "ListFilesystemDir",
        "ListPaths",
        "GetContainerProperties",
        "GetContainerMetadata",
        "FindBlobsByTags",
        "GetAccountInformation",
    ];
    const PERMISSION: &[&str] = &[
        "SetContainerACL",
        "SetBlobAcl",
        "SetFileAcl",
        "SetPathAccessControl",
        "SetContainerAccessPolicy",
        "SetPathAccessControlRecursive",
        "GetUserDelegationKey",
    ];
    const CONFIG: &[&str] = &[
        "SetBlobServiceProperties",
        "CreateContainer",
        "SetContainerMetadata",
        "SetImmutabilityPolicy",
        "DeleteImmutabilityPolicy",
        "SetLegalHold",
        "LeaseContainer",
        "RestoreContainer",
        "UndeleteContainer",
        "CreateFilesystem",
        "SetFilesystemProperties",
    ];
    for (list, class) in [
        (READ, Read),
        (WRITE, Write),
        (DELETE, Delete),
        (LIST, List),
        (PERMISSION, Permission),
        (CONFIG, Config),
    ] {
        if list.iter().any(|n| lower_is(n)) {
            return class;
        }
    }
    if op.eq_ignore_ascii_case("GetContainerACL")
        || op.eq_ignore_ascii_case("GetBlobServiceProperties")
    {
        return Other;
    }
    generic(op)
}

/// Classifies an Azure resource-provider operation
/// (`Microsoft.Storage/storageAccounts/listKeys/action`, in any casing).
pub fn azure_activity(op: &str) -> ActionClass {
    let o = op.to_ascii_lowercase();
    let o = o.as_str();
    if o.starts_with("microsoft.insights/diagnosticsettings/")
        || o.contains("/providers/microsoft.insights/diagnosticsettings")
    {
        return if o.ends_with("/read") { Other } else { Logging };
    }
    if o.ends_with("/listkeys/action")
        || o.ends_with("/regeneratekey/action")
        || o.ends_with("/listaccountsas/action")
        || o.ends_with("/listservicesas/action")
        || o.ends_with("/generateuserdelegationkey/action")
        || o.ends_with("/revokeuserdelegationkeys/action")
    {
        return Auth;
    }
    if o.starts_with("microsoft.authorization/") {
        return Permission;
    }
    if o.contains("/immutabilitypolicies/")
        || o.ends_with("/setlegalhold/action")
        || o.ends_with("/clearlegalhold/action")
    {
        return Config;
    }
    if o.ends_with("/containers/write") {
        return Permission;
    }
    if o.ends_with("/delete") {
        return Delete;
    }
    if o.ends_with("/write") {
        return Config;
    }
    if o.ends_with("/read") {
        return List;
    }
    Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_classes() {
        assert_eq!(aws("s3.amazonaws.com", "GetObject"), Read);
        assert_eq!(aws("s3.amazonaws.com", "ListObjects"), List);
        assert_eq!(aws("s3.amazonaws.com", "DeleteObjects"), Delete);
        assert_eq!(aws("s3.amazonaws.com", "PutBucketPolicy"), Permission);
        assert_eq!(aws("s3.amazonaws.com", "PutBucketLogging"), Logging);
        assert_eq!(aws("s3.amazonaws.com", "PutBucketVersioning"), Config);
        assert_eq!(aws("s3.amazonaws.com", "GetBucketAcl"), Other);
        assert_eq!(aws("cloudtrail.amazonaws.com", "StopLogging"), Logging);
        assert_eq!(aws("cloudtrail.amazonaws.com", "DescribeTrails"), List);
        assert_eq!(aws("sts.amazonaws.com", "AssumeRole"), Auth);
        assert_eq!(aws("signin.amazonaws.com", "ConsoleLogin"), Auth);
        assert_eq!(aws("iam.amazonaws.com", "CreateAccessKey"), Auth);
        assert_eq!(aws("iam.amazonaws.com", "AttachUserPolicy"), Permission);
        assert_eq!(aws("kms.amazonaws.com", "ScheduleKeyDeletion"), Config);
        assert_eq!(aws("kms.amazonaws.com", "Decrypt"), Read);
        assert_eq!(aws("ec2.amazonaws.com", "DescribeInstances"), List);
    }

    #[test]
    fn s3_access_classes() {
        assert_eq!(s3_access_operation("REST.GET.OBJECT"), Read);
        assert_eq!(s3_access_operation("WEBSITE.GET.OBJECT"), Read);
        assert_eq!(s3_access_operation("REST.PUT.OBJECT"), Write);
        assert_eq!(s3_access_operation("BATCH.DELETE.OBJECT"), Delete);
        assert_eq!(s3_access_operation("S3.EXPIRE.OBJECT"), Delete);
        assert_eq!(s3_access_operation("REST.GET.BUCKET"), List);
        assert_eq!(s3_access_operation("REST.PUT.BUCKETPOLICY"), Permission);
        assert_eq!(s3_access_operation("REST.PUT.LOGGING_STATUS"), Logging);
        assert_eq!(s3_access_operation("REST.GET.VERSIONING"), Other);
        assert_eq!(s3_access_operation("REST.COPY.OBJECT_GET"), Read);
    }

    #[test]
    fn gcs_and_azure_classes() {
        assert_eq!(gcs("storage.objects.get"), Read);
        assert_eq!(gcs("google.storage.objects.get"), Read);
        assert_eq!(gcs("storage.objects.list"), List);
        assert_eq!(gcs("storage.objects.delete"), Delete);
        assert_eq!(gcs("storage.setIamPermissions"), Permission);
        assert_eq!(gcs("storage.buckets.update"), Config);
        assert_eq!(gcs("storage.hmacKeys.create"), Auth);
        assert_eq!(azure_blob("GetBlob"), Read);
        assert_eq!(azure_blob("deleteblob"), Delete);
        assert_eq!(azure_blob("ListBlobs"), List);
        assert_eq!(azure_blob("SetContainerACL"), Permission);
        assert_eq!(
            azure_activity("MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION"),
            Auth
        );
        assert_eq!(
            azure_activity("Microsoft.Storage/storageAccounts/regenerateKey/action"),
            Auth
        );
        assert_eq!(
            azure_activity("Microsoft.Insights/diagnosticSettings/delete"),
            Logging
        );
        assert_eq!(
            azure_activity("Microsoft.Storage/storageAccounts/blobServices/containers/write"),
            Permission
        );
        assert_eq!(
            azure_activity("Microsoft.Storage/storageAccounts/delete"),
            Delete
        );
        assert_eq!(
            azure_activity("Microsoft.Storage/storageAccounts/write"),
            Config
        );
    }
}
