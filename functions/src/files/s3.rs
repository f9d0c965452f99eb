//! The documents bucket in AWS: a private S3 bucket (`CCG_DOCUMENTS_BUCKET`).
//! The upload form posts to the bucket's own address and is signed by hand
//! (`policy`) with the function's current credentials: in Lambda these are
//! the role's, with a session token the form must carry (as a field and as
//! a condition of its policy). Errors say which operation and S3's code,
//! never a key (it holds the claimant's file name) nor a file's bytes.

use super::policy::{self, Signer};
use super::{FileError, FileFuture, FileStore, UploadForm};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// The variable naming the bucket (infra/template.yaml sets it for the travel-claim function).
pub const BUCKET_VAR: &str = "CCG_DOCUMENTS_BUCKET";

#[derive(Clone)]
pub struct S3Files {
    client: Client,
    bucket: String,
    region: String,
    credentials: SharedCredentialsProvider,
    /// Where the forms post: the bucket's virtual-hosted address in AWS.
    action: String,
}

impl std::fmt::Debug for S3Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Files").field("bucket", &self.bucket).field("region", &self.region).field("action", &self.action).finish_non_exhaustive()
    }
}

impl S3Files {
    /// The bucket `bucket` with the usual AWS environment (region, the role's credentials).
    pub async fn from_env(bucket: &str) -> Result<S3Files, FileError> {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts()).load().await;
        let region = conf.region().map(|r| r.to_string()).ok_or_else(|| FileError::Failed("no AWS region: set AWS_REGION".into()))?;
        let credentials = conf.credentials_provider().ok_or_else(|| FileError::Failed("no AWS credentials".into()))?;
        Ok(S3Files::new(Client::new(&conf), bucket, &region, credentials))
    }

    /// The bucket on `client`, its forms posting to `https://<bucket>.s3.<region>.amazonaws.com/`.
    pub fn new(client: Client, bucket: &str, region: &str, credentials: SharedCredentialsProvider) -> S3Files {
        let action = format!("https://{bucket}.s3.{region}.amazonaws.com/");
        S3Files { client, bucket: bucket.to_string(), region: region.to_string(), credentials, action }
    }

    /// Forms post to `action` instead (an S3-compatible server's path-style address, in the tests).
    pub fn with_form_action(mut self, action: &str) -> S3Files {
        self.action = action.to_string();
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

/// Bounded like the table's calls: a claimant waits for these.
fn timeouts() -> aws_sdk_s3::config::timeout::TimeoutConfig {
    aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(500))
        .operation_attempt_timeout(std::time::Duration::from_secs(3))
        .operation_timeout(std::time::Duration::from_secs(6))
        .build()
}

type HttpResponse = aws_sdk_s3::config::http::HttpResponse;

/// S3's answer as the port's error: no answer, a 5xx or throttling is
/// `Unavailable` (nothing changed, try again); anything else `Failed`.
fn error<E: ProvideErrorMetadata>(op: &str, e: &SdkError<E, HttpResponse>) -> FileError {
    match e {
        SdkError::TimeoutError(_) => FileError::Unavailable(format!("S3 {op}: no answer in time")),
        SdkError::DispatchFailure(_) => FileError::Unavailable(format!("S3 {op}: not reached")),
        SdkError::ResponseError(_) => FileError::Unavailable(format!("S3 {op}: an unreadable answer")),
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = s.err().code().unwrap_or("no code");
            let message = format!("S3 {op}: {code} ({status})");
            if status >= 500 || matches!(code, "SlowDown" | "Throttling" | "ThrottlingException" | "RequestTimeout") {
                FileError::Unavailable(message)
            } else {
                FileError::Failed(message)
            }
        }
        _ => FileError::Failed(format!("S3 {op}: the request could not be made")),
    }
}

impl FileStore for S3Files {
    fn upload_form<'a>(&'a self, key_prefix: &'a str, max_bytes: u64, redirect: &'a str, now: jiff::Timestamp) -> FileFuture<'a, UploadForm> {
        Box::pin(async move {
            // Asked each time: a role's credentials expire and are replaced.
            let c = self.credentials.provide_credentials().await.map_err(|_| FileError::Unavailable("no AWS credentials to sign with".into()))?;
            let signer = Signer {
                access_key_id: c.access_key_id().to_string(),
                secret_access_key: c.secret_access_key().to_string(),
                session_token: c.session_token().map(str::to_string),
                region: self.region.clone(),
            };
            // A form that outlives its credentials is refused by S3: it expires with them at the latest.
            let mut expires = now + jiff::Span::new().minutes(super::FORM_MINUTES);
            if let Some(until) = c.expiry().and_then(|t| jiff::Timestamp::try_from(t).ok()) {
                expires = expires.min(until);
            }
            let u = policy::Upload { bucket: &self.bucket, key_prefix, redirect, max_bytes, expires };
            Ok(UploadForm { action: self.action.clone(), fields: policy::form_fields(&u, &signer, now) })
        })
    }

    fn form_origin(&self) -> String {
        // Scheme and host of the action: what a CSP `form-action` names.
        let rest = self.action.split_once("://").map_or(self.action.as_str(), |(_, r)| r);
        let host = rest.split('/').next().unwrap_or(rest);
        let scheme = self.action.split_once("://").map_or("https", |(s, _)| s);
        format!("{scheme}://{host}")
    }

    fn head<'a>(&'a self, key: &'a str) -> FileFuture<'a, Option<u64>> {
        Box::pin(async move {
            match self.client.head_object().bucket(&self.bucket).key(key).send().await {
                Ok(o) => Ok(Some(o.content_length().unwrap_or(0).max(0) as u64)),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
                // A HEAD's 404 has no body, so no code to model: the status says it.
                Err(SdkError::ServiceError(s)) if s.raw().status().as_u16() == 404 => Ok(None),
                Err(e) => Err(error("HeadObject", &e)),
            }
        })
    }

    fn read_start<'a>(&'a self, key: &'a str, n: u64) -> FileFuture<'a, Vec<u8>> {
        Box::pin(async move {
            if n == 0 {
                return Ok(Vec::new());
            }
            let got = self.client.get_object().bucket(&self.bucket).key(key).range(format!("bytes=0-{}", n - 1)).send().await;
            match got {
                Ok(o) => body(o.body).await.map(|mut b| {
                    // A server that ignores the range sends it all; only the start is asked for.
                    b.truncate(n as usize);
                    b
                }),
                // An empty file has no byte 0.
                Err(e) if e.code() == Some("InvalidRange") => Ok(Vec::new()),
                Err(e) => Err(error("GetObject", &e)),
            }
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> FileFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let o = self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(|e| error("GetObject", &e))?;
            body(o.body).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> FileFuture<'a, ()> {
        Box::pin(async move {
            // S3 answers 204 for a key that is not there too.
            self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(|e| error("DeleteObject", &e))?;
            Ok(())
        })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> FileFuture<'a, ()> {
        Box::pin(async move {
            let body = aws_sdk_s3::primitives::ByteStream::from(bytes);
            self.client.put_object().bucket(&self.bucket).key(key).content_type(content_type).body(body).send().await.map_err(|e| error("PutObject", &e))?;
            Ok(())
        })
    }

    fn download_url<'a>(&'a self, key: &'a str, file_name: &'a str, content_type: &'a str, now: jiff::Timestamp) -> FileFuture<'a, Option<String>> {
        Box::pin(async move {
            if !super::is_shared_key(key) {
                return Err(FileError::Failed("only shared files are given an address".into()));
            }
            let start = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(now.as_nanosecond().max(0) as u64);
            let config = aws_sdk_s3::presigning::PresigningConfig::builder()
                .start_time(start)
                .expires_in(std::time::Duration::from_secs(super::DOWNLOAD_SECONDS))
                .build()
                .map_err(|_| FileError::Failed("S3 presigning: no valid time".into()))?;
            let req = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .response_content_disposition(super::attachment(file_name))
                .response_content_type(content_type)
                .presigned(config)
                .await
                .map_err(|_| FileError::Unavailable("S3 presigning: no credentials to sign with".into()))?;
            Ok(Some(req.uri().to_string()))
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> FileFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| error("ListObjectsV2", &e))?;
                keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            }
            keys.sort();
            Ok(keys)
        })
    }
}

async fn body(b: aws_sdk_s3::primitives::ByteStream) -> Result<Vec<u8>, FileError> {
    b.collect().await.map(|d| d.into_bytes().to_vec()).map_err(|_| FileError::Unavailable("S3 GetObject: the file's bytes stopped arriving".into()))
}

#[cfg(test)]
mod tests;
