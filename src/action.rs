//! `action_class`: what an API call does to storage, for every S3 / GCS / Azure Blob API and
//! the CloudTrail, IAM, STS, KMS and Azure resource-provider calls that matter to storage.
//!
//! Exact names first (tables), then name shapes (`Get*`, `List*`, `*.delete`), so a new API of
//! a known family still lands in the right class.

use crate::event::ActionClass::{self, *};

/// Classifies an AWS API by event source and name (CloudTrail `eventSource` / `eventName`).
pub fn aws(event_source: &[u8], name: &[u8]) -> ActionClass {
    let service = event_source.split(|&c| c == b'.').next().unwrap_or(b"");
    match service {
        b"s3" | b"s3-outposts" => s3(name),
        b"cloudtrail" => cloudtrail(name),
        b"iam" => iam(name),
        b"sts" | b"signin" | b"sso" | b"sso-oauth" | b"identitystore" => Auth,
        b"kms" => kms(name),
        b"logs" if name.starts_with(b"Delete") || name == b"PutRetentionPolicy" => Logging,
        b"config"
            if matches!(
                name,
                b"StopConfigurationRecorder"
                    | b"DeleteConfigurationRecorder"
                    | b"DeleteDeliveryChannel"
            ) =>
        {
            Logging
        }
        b"guardduty"
            if matches!(
                name,
                b"DeleteDetector" | b"UpdateDetector" | b"DisassociateFromMasterAccount"
            ) =>
        {
            Logging
        }
        _ => generic(name),
    }
}

fn s3(name: &[u8]) -> ActionClass {
    match name {
        b"GetObject"
        | b"HeadObject"
        | b"SelectObjectContent"
        | b"GetObjectTorrent"
        | b"GetObjectAttributes"
        | b"RestoreObject" => Read,
        b"PutObject"
        | b"CopyObject"
        | b"UploadPart"
        | b"UploadPartCopy"
        | b"CreateMultipartUpload"
        | b"CompleteMultipartUpload"
        | b"AbortMultipartUpload"
        | b"PostObject"
        | b"PutObjectTagging"
        | b"DeleteObjectTagging"
        | b"WriteGetObjectResponse"
        | b"PutObjectLegalHold"
        | b"RenameObject" => Write,
        b"DeleteObject" | b"DeleteObjects" | b"DeleteObjectVersion" | b"DeleteBucket" => Delete,
        b"ListObjects"
        | b"ListObjectsV2"
        | b"ListBucket"
        | b"ListBuckets"
        | b"ListAllMyBuckets"
        | b"ListObjectVersions"
        | b"ListBucketVersions"
        | b"ListMultipartUploads"
        | b"ListParts"
        | b"ListMultipartUploadParts"
        | b"ListDirectoryBuckets"
        | b"ListAccessPoints"
        | b"HeadBucket" => List,
        b"PutBucketPolicy"
        | b"DeleteBucketPolicy"
        | b"PutBucketAcl"
        | b"PutObjectAcl"
        | b"PutPublicAccessBlock"
        | b"PutBucketPublicAccessBlock"
        | b"DeletePublicAccessBlock"
        | b"DeleteBucketPublicAccessBlock"
        | b"PutBucketOwnershipControls"
        | b"DeleteBucketOwnershipControls"
        | b"PutAccessPointPolicy"
        | b"DeleteAccessPointPolicy"
        | b"PutAccountPublicAccessBlock"
        | b"DeleteAccountPublicAccessBlock"
        | b"PutBucketCors"
        | b"DeleteBucketCors" => Permission,
        b"PutBucketLogging" => Logging,
        b"PutBucketEncryption"
        | b"DeleteBucketEncryption"
        | b"PutBucketVersioning"
        | b"PutBucketLifecycle"
        | b"PutBucketLifecycleConfiguration"
        | b"DeleteBucketLifecycle"
        | b"PutBucketReplication"
        | b"DeleteBucketReplication"
        | b"PutObjectLockConfiguration"
        | b"PutObjectRetention"
        | b"PutBucketObjectLockConfiguration"
        | b"CreateBucket"
        | b"PutBucketWebsite"
        | b"DeleteBucketWebsite"
        | b"PutBucketNotification"
        | b"PutBucketNotificationConfiguration"
        | b"PutBucketTagging"
        | b"DeleteBucketTagging"
        | b"PutBucketAccelerateConfiguration"
        | b"PutBucketRequestPayment"
        | b"PutBucketIntelligentTieringConfiguration"
        | b"PutBucketInventoryConfiguration"
        | b"CreateAccessPoint"
        | b"DeleteAccessPoint"
        | b"CreateJob"
        | b"UpdateJobStatus" => Config,
        // Reading a bucket's or object's settings is metadata, not data.
        _ if name.starts_with(b"GetBucket")
            || name.starts_with(b"GetObject")
            || name.starts_with(b"GetPublicAccessBlock")
            || name.starts_with(b"GetAccount")
            || name.starts_with(b"GetAccessPoint") =>
        {
            Other
        }
        _ => generic(name),
    }
}

fn cloudtrail(name: &[u8]) -> ActionClass {
    match name {
        b"LookupEvents"
        | b"DescribeTrails"
        | b"GetTrailStatus"
        | b"GetEventSelectors"
        | b"ListTrails"
        | b"GetTrail"
        | b"GetInsightSelectors"
        | b"ListTags" => List,
        _ if name.starts_with(b"Get")
            || name.starts_with(b"Describe")
            || name.starts_with(b"List") =>
        {
            List
        }
        _ => Logging,
    }
}

fn iam(name: &[u8]) -> ActionClass {
    if name.starts_with(b"Get")
        || name.starts_with(b"List")
        || name.starts_with(b"Generate")
        || name.starts_with(b"Simulate")
    {
        return List;
    }
    match name {
        b"CreateAccessKey"
        | b"UpdateAccessKey"
        | b"DeleteAccessKey"
        | b"CreateLoginProfile"
        | b"UpdateLoginProfile"
        | b"DeleteLoginProfile"
        | b"ChangePassword"
        | b"EnableMFADevice"
        | b"DeactivateMFADevice"
        | b"CreateVirtualMFADevice"
        | b"DeleteVirtualMFADevice"
        | b"ResyncMFADevice"
        | b"CreateServiceSpecificCredential"
        | b"UploadSSHPublicKey" => Auth,
        _ => Permission,
    }
}

fn kms(name: &[u8]) -> ActionClass {
    match name {
        b"Decrypt"
        | b"GenerateDataKey"
        | b"GenerateDataKeyWithoutPlaintext"
        | b"ReEncrypt"
        | b"ReEncryptFrom"
        | b"ReEncryptTo"
        | b"GenerateDataKeyPair" => Read,
        b"Encrypt" => Write,
        b"PutKeyPolicy" | b"CreateGrant" | b"RevokeGrant" | b"RetireGrant" => Permission,
        b"ScheduleKeyDeletion"
        | b"DisableKey"
        | b"DisableKeyRotation"
        | b"CancelKeyDeletion"
        | b"EnableKey"
        | b"EnableKeyRotation"
        | b"CreateKey"
        | b"ImportKeyMaterial"
        | b"DeleteImportedKeyMaterial"
        | b"UpdateKeyDescription"
        | b"CreateAlias"
        | b"DeleteAlias"
        | b"UpdateAlias"
        | b"RotateKeyOnDemand"
        | b"RotateKey" => Config,
        _ => generic(name),
    }
}

/// Name-shape fallback for APIs not in a table.
fn generic(name: &[u8]) -> ActionClass {
    let n = name;
    let has = |pat: &[u8]| memchr::memmem::find(n, pat).is_some();
    if n == b"ConsoleLogin"
        || n.starts_with(b"AssumeRole")
        || has(b"SessionToken")
        || has(b"SigninToken")
    {
        Auth
    } else if n.starts_with(b"List")
        || n.starts_with(b"Describe")
        || n.starts_with(b"Lookup")
        || n.starts_with(b"Search")
    {
        List
    } else if n.starts_with(b"Get")
        || n.starts_with(b"Head")
        || n.starts_with(b"Select")
        || n.starts_with(b"Batch Get")
    {
        Read
    } else if n.starts_with(b"Delete") || n.starts_with(b"Remove") || n.starts_with(b"Terminate") {
        Delete
    } else if has(b"Policy") || has(b"Acl") || has(b"Permission") {
        Permission
    } else if n.starts_with(b"Put")
        || n.starts_with(b"Update")
        || n.starts_with(b"Create")
        || n.starts_with(b"Set")
        || n.starts_with(b"Modify")
        || n.starts_with(b"Enable")
        || n.starts_with(b"Disable")
        || n.starts_with(b"Attach")
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

/// The S3 API name (as CloudTrail writes it) of a server access-log operation, so both sources
/// speak of `GetObject`; `None` for operations without a one-to-one API (they keep their raw
/// name).
pub fn s3_access_api_name(op: &str) -> Option<&'static str> {
    Some(match op {
        "REST.GET.OBJECT" | "WEBSITE.GET.OBJECT" => "GetObject",
        "REST.HEAD.OBJECT" | "WEBSITE.HEAD.OBJECT" => "HeadObject",
        "REST.PUT.OBJECT" | "REST.POST.OBJECT" => "PutObject",
        "REST.COPY.OBJECT" | "REST.COPY.OBJECT_GET" => "CopyObject",
        "REST.DELETE.OBJECT" => "DeleteObject",
        "BATCH.DELETE.OBJECT" | "REST.POST.MULTI_OBJECT_DELETE" => "DeleteObjects",
        "REST.GET.BUCKET" => "ListObjects",
        "REST.GET.BUCKETVERSIONS" => "ListObjectVersions",
        "REST.GET.SERVICE" => "ListBuckets",
        "REST.HEAD.BUCKET" => "HeadBucket",
        "REST.PUT.BUCKET" => "CreateBucket",
        "REST.DELETE.BUCKET" => "DeleteBucket",
        "REST.POST.UPLOADS" => "CreateMultipartUpload",
        "REST.PUT.PART" => "UploadPart",
        "REST.POST.UPLOAD" => "CompleteMultipartUpload",
        "REST.DELETE.UPLOAD" => "AbortMultipartUpload",
        "REST.GET.UPLOADS" => "ListMultipartUploads",
        "REST.POST.RESTORE" | "REST.POST.OBJECT_RESTORE" => "RestoreObject",
        "REST.GET.ACL" => "GetBucketAcl",
        "REST.PUT.ACL" => "PutBucketAcl",
        "REST.GET.OBJECT_ACL" => "GetObjectAcl",
        "REST.PUT.OBJECT_ACL" => "PutObjectAcl",
        "REST.GET.BUCKETPOLICY" => "GetBucketPolicy",
        "REST.PUT.BUCKETPOLICY" => "PutBucketPolicy",
        "REST.DELETE.BUCKETPOLICY" => "DeleteBucketPolicy",
        "REST.GET.LOGGING_STATUS" => "GetBucketLogging",
        "REST.PUT.LOGGING_STATUS" => "PutBucketLogging",
        "REST.GET.VERSIONING" => "GetBucketVersioning",
        "REST.PUT.VERSIONING" => "PutBucketVersioning",
        "REST.GET.ENCRYPTION" => "GetBucketEncryption",
        "REST.PUT.ENCRYPTION" => "PutBucketEncryption",
        "REST.DELETE.ENCRYPTION" => "DeleteBucketEncryption",
        "REST.GET.LIFECYCLE" => "GetBucketLifecycle",
        "REST.PUT.LIFECYCLE" => "PutBucketLifecycleConfiguration",
        "REST.DELETE.LIFECYCLE" => "DeleteBucketLifecycle",
        "REST.GET.REPLICATION" => "GetBucketReplication",
        "REST.PUT.REPLICATION" => "PutBucketReplication",
        "REST.DELETE.REPLICATION" => "DeleteBucketReplication",
        "REST.GET.PUBLICACCESSBLOCK" => "GetPublicAccessBlock",
        "REST.PUT.PUBLICACCESSBLOCK" => "PutPublicAccessBlock",
        "REST.DELETE.PUBLICACCESSBLOCK" => "DeletePublicAccessBlock",
        "REST.GET.OBJECT_TAGGING" => "GetObjectTagging",
        "REST.PUT.OBJECT_TAGGING" => "PutObjectTagging",
        "REST.GET.LOCATION" => "GetBucketLocation",
        "REST.GET.CORS" => "GetBucketCors",
        "REST.PUT.CORS" => "PutBucketCors",
        "REST.GET.WEBSITE" => "GetBucketWebsite",
        "REST.PUT.WEBSITE" => "PutBucketWebsite",
        "REST.GET.OWNERSHIP_CONTROLS" => "GetBucketOwnershipControls",
        "REST.PUT.OWNERSHIP_CONTROLS" => "PutBucketOwnershipControls",
        "REST.PUT.OBJECT_LOCK_CONFIGURATION" => "PutObjectLockConfiguration",
        "REST.PUT.RETENTION" | "REST.PUT.OBJECT_RETENTION" => "PutObjectRetention",
        "REST.GET.NOTIFICATION" => "GetBucketNotification",
        "REST.PUT.NOTIFICATION" => "PutBucketNotification",
        _ => return None,
    })
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
    generic(op.as_bytes())
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
        assert_eq!(aws(b"s3.amazonaws.com", b"GetObject"), Read);
        assert_eq!(aws(b"s3.amazonaws.com", b"ListObjects"), List);
        assert_eq!(aws(b"s3.amazonaws.com", b"DeleteObjects"), Delete);
        assert_eq!(aws(b"s3.amazonaws.com", b"PutBucketPolicy"), Permission);
        assert_eq!(aws(b"s3.amazonaws.com", b"PutBucketLogging"), Logging);
        assert_eq!(aws(b"s3.amazonaws.com", b"PutBucketVersioning"), Config);
        assert_eq!(aws(b"s3.amazonaws.com", b"GetBucketAcl"), Other);
        assert_eq!(aws(b"cloudtrail.amazonaws.com", b"StopLogging"), Logging);
        assert_eq!(aws(b"cloudtrail.amazonaws.com", b"DescribeTrails"), List);
        assert_eq!(aws(b"sts.amazonaws.com", b"AssumeRole"), Auth);
        assert_eq!(aws(b"signin.amazonaws.com", b"ConsoleLogin"), Auth);
        assert_eq!(aws(b"iam.amazonaws.com", b"CreateAccessKey"), Auth);
        assert_eq!(aws(b"iam.amazonaws.com", b"AttachUserPolicy"), Permission);
        assert_eq!(aws(b"kms.amazonaws.com", b"ScheduleKeyDeletion"), Config);
        assert_eq!(aws(b"kms.amazonaws.com", b"Decrypt"), Read);
        assert_eq!(aws(b"ec2.amazonaws.com", b"DescribeInstances"), List);
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
        // API names classify the same way CloudTrail's do.
        for op in [
            "REST.GET.OBJECT",
            "REST.PUT.OBJECT",
            "BATCH.DELETE.OBJECT",
            "REST.GET.BUCKET",
            "REST.PUT.BUCKETPOLICY",
            "REST.PUT.LOGGING_STATUS",
            "REST.PUT.VERSIONING",
        ] {
            let api = s3_access_api_name(op).unwrap();
            assert_eq!(
                aws(b"s3.amazonaws.com", api.as_bytes()),
                s3_access_operation(op),
                "{op}"
            );
        }
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
